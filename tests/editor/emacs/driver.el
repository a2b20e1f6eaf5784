;;; driver.el --- drive eglot against slm-lsp in `emacs --batch'  -*- lexical-binding: t -*-

;; Loaded by tests/editor/test_emacs.py after the documented snippet from docs/editors.md:
;;   emacs --batch -l SNIPPET.el -l driver.el
;; Environment: SLM_TEST_FILE (the Python file to visit), SLM_TEST_OUT (where the JSON report
;; goes). Each step records what happened; the Python test makes the assertions.

(require 'cl-lib)
(require 'json)
(require 'eglot)
(require 'flymake)

(setq eglot-connect-timeout 300            ; a loaded CI machine
      eglot-sync-connect t
      jsonrpc-default-request-timeout 180  ; the model runs inside these requests
      eglot-send-changes-idle-time 0.1
      python-indent-guess-indent-offset nil)

(defvar slm-test-report nil "An alist written as JSON at the end.")
(defvar slm-test-state nil "The last `slmLsp/status' state from the server.")
(defvar slm-test-confirmations nil "The questions eglot asked (answered yes).")
(defvar slm-test-completions nil
  "The server's answers to textDocument/completion, as JSON (eglot adds text properties to the
labels afterwards).")

(defun slm-test-record (key value)
  (setq slm-test-report (cons (cons key value) (assq-delete-all key slm-test-report))))

(defun slm-test-write ()
  (with-temp-file (getenv "SLM_TEST_OUT")
    (insert (json-encode slm-test-report))))

(defun slm-test-wait (predicate seconds)
  "Let timers and the server's messages run until PREDICATE is true or SECONDS pass."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.1)
      (sit-for 0.05))
    (funcall predicate)))

(defun slm-test-buffer-text ()
  (buffer-substring-no-properties (point-min) (point-max)))

;; The server's status notification (the extension shows it in the status bar).
(cl-defmethod eglot-handle-notification
  (_server (_method (eql slmLsp/status)) &key state &allow-other-keys)
  (setq slm-test-state state))

;; eglot asks before applying a server-initiated edit: record the question, answer yes.
(advice-add 'y-or-n-p :override
            (lambda (prompt &rest _) (push prompt slm-test-confirmations) t))
(advice-add 'yes-or-no-p :override
            (lambda (prompt &rest _) (push prompt slm-test-confirmations) t))

;; Keep the completion answers, to compare the buffer with the item the server sent.
(advice-add 'jsonrpc-request :around
            (lambda (fn conn method params &rest args)
              (let ((result (apply fn conn method params args)))
                (when (eq method :textDocument/completion)
                  (push (json-encode result) slm-test-completions))
                result)))

(defmacro slm-test-step (name &rest body)
  "Run BODY; an error is recorded under NAME instead of ending the run."
  (declare (indent 1))
  `(condition-case err
       (progn ,@body)
     (error (slm-test-record (intern (format "%s-error" ,name))
                             (error-message-string err)))))

(find-file (getenv "SLM_TEST_FILE"))
(slm-test-record 'major-mode (symbol-name major-mode))

(slm-test-step "connect"
  ;; What M-x eglot does: the server program from `eglot-server-programs' (the snippet).
  (let ((contact (eglot--guess-contact)))
    (slm-test-record 'contact (format "%S" (nth 3 contact)))
    (apply #'eglot contact))
  (slm-test-record 'managed (and eglot--managed-mode t))
  (slm-test-record 'ready (and (slm-test-wait (lambda () (equal slm-test-state "ready")) 300)
                               t)))

;; 1. Complete after a partial word: type "sor" after "names = ", then completion-at-point.
(slm-test-step "completion"
  (goto-char (point-min))
  (search-forward "names = ")
  (execute-kbd-macro (kbd "s o r"))
  (eglot--signal-textDocument/didChange)
  (slm-test-record 'before-completion (slm-test-buffer-text))
  (slm-test-record 'point-before (1- (point)))
  (call-interactively #'completion-at-point)
  (slm-test-record 'after-completion (slm-test-buffer-text))
  (slm-test-record 'completion-response (car slm-test-completions)))

;; 2. A code action: the docstring for `clamp', through eglot's code-action command.
(slm-test-step "action"
  (eglot--signal-textDocument/didChange)
  (goto-char (point-min))
  (search-forward "def clamp")
  (let ((before (slm-test-buffer-text)))
    (slm-test-record 'before-action before)
    (eglot-code-actions (point) (point) "refactor.rewrite.slm.docstring" t)
    (slm-test-wait (lambda () (not (equal before (slm-test-buffer-text)))) 120)
    (slm-test-record 'after-action (slm-test-buffer-text))
    (slm-test-record 'confirmations (vconcat slm-test-confirmations))))

;; 3. A syntax error typed at the end: the server's diagnostic shows in flymake.
(slm-test-step "diagnostics"
  (goto-char (point-max))
  (execute-kbd-macro (kbd "RET d e f SPC b r o k e n ( : RET"))
  (eglot--signal-textDocument/didChange)
  ;; Wait for the diagnostic of the line typed, not for any: flymake still shows what the
  ;; server published for an earlier version (the docstring edit arrives in parts).
  (let ((broken (save-excursion (goto-char (point-min)) (search-forward "def broken(:")
                                (line-number-at-pos))))
    (slm-test-wait (lambda ()
                     (flymake-start)
                     (seq-some (lambda (d) (<= (abs (- (line-number-at-pos
                                                         (flymake-diagnostic-beg d))
                                                        broken))
                                               1))
                               (flymake-diagnostics)))
                   60))
  (slm-test-record 'flymake-backends
                   (vconcat (mapcar #'symbol-name flymake-diagnostic-functions)))
  (slm-test-record 'diagnostics
                   (vconcat
                    (mapcar (lambda (d)
                              (vector (line-number-at-pos (flymake-diagnostic-beg d))
                                      (symbol-name (flymake-diagnostic-type d))
                                      (flymake-diagnostic-text d)))
                            (flymake-diagnostics)))))

(slm-test-record 'final (slm-test-buffer-text))
(slm-test-write)
(ignore-errors (eglot-shutdown (eglot-current-server)))
(kill-emacs 0)
