---@mod slm_lsp.config Defaults and validation of the options given to setup()

local M = {}

---@class (exact) slm_lsp.Keymaps
---@field accept string|false Accept the whole suggestion (falls through when none is shown)
---@field accept_word string|false Accept the next word of the suggestion
---@field accept_word_alt string|false A second key for accept_word
---@field accept_line string|false Accept the rest of the suggestion's current line
---@field next string|false Show the next suggestion
---@field prev string|false Show the previous suggestion
---@field dismiss string|false Hide the suggestion (falls through when none is shown)
---@field trigger string|false Ask for a suggestion now

---@class (exact) slm_lsp.NextEdit
---@field enable boolean Ask for next edits after changes
---@field key string|false The jump key (normal and insert mode): go to the proposal, again to make it
---@field debounce_ms integer Delay after the last change before asking

---@class (exact) slm_lsp.Options
---@field cmd string[] How to start the server
---@field settings table Server settings (initializationOptions and the `slmLsp` section)
---@field filetypes string[] Filetypes the server attaches to
---@field root_markers string[] Files that mark a project root
---@field keymaps slm_lsp.Keymaps Insert-mode keys, each can be `false`
---@field fallback boolean|nil nil: the built-in inline completion when Neovim has it (0.12+),
---the plugin's own ghost text otherwise; true: always the plugin's own; false: never
---@field debounce_ms integer Delay before an automatic request (plugin's own ghost text)
---@field auto_trigger boolean Ask for suggestions while typing (plugin's own ghost text)
---@field next_edit slm_lsp.NextEdit Next edit suggestions (|slm_lsp-next-edit|)

---@type slm_lsp.Options
M.defaults = {
  cmd = { 'slm-lsp' },
  settings = {},
  filetypes = {
    'python', 'javascript', 'javascriptreact', 'typescript', 'typescriptreact',
    'go', 'rust', 'java', 'c', 'cpp', 'lua', 'sh', 'bash', 'ruby', 'php',
    'cs', 'kotlin', 'swift', 'scala', 'zig',
  },
  root_markers = { '.git', 'pyproject.toml', 'package.json', 'go.mod', 'Cargo.toml' },
  keymaps = require('slm_lsp.keymaps').defaults(),
  fallback = nil,
  debounce_ms = 150,
  auto_trigger = true,
  next_edit = { enable = true, key = '<M-n>', debounce_ms = 300 },
}

---@type slm_lsp.Options
M.options = vim.deepcopy(M.defaults)

local function is_list_of_strings(v)
  if type(v) ~= 'table' or #v ~= vim.tbl_count(v) then
    return false
  end
  for _, s in ipairs(v) do
    if type(s) ~= 'string' or s == '' then
      return false
    end
  end
  return true
end

--- Merge the user's options over the defaults and check them.
---@param opts? table
---@return slm_lsp.Options
function M.resolve(opts)
  opts = opts or {}
  if type(opts) ~= 'table' then
    error('slm_lsp.setup: options must be a table', 2)
  end
  local known = vim.tbl_keys(M.defaults)
  table.insert(known, 'fallback')
  for key in pairs(opts) do
    if not vim.tbl_contains(known, key) then
      error(('slm_lsp.setup: unknown option %q'):format(tostring(key)), 2)
    end
  end
  local keymaps = opts.keymaps
  if keymaps ~= nil and type(keymaps) ~= 'table' then
    error('slm_lsp.setup: keymaps must be a table', 2)
  end
  for name, key in pairs(keymaps or {}) do
    if M.defaults.keymaps[name] == nil then
      error(('slm_lsp.setup: unknown keymap %q'):format(tostring(name)), 2)
    end
    if key ~= false and (type(key) ~= 'string' or key == '') then
      error(('slm_lsp.setup: keymaps.%s must be a key string or false'):format(name), 2)
    end
  end

  local next_edit = opts.next_edit
  if next_edit ~= nil and type(next_edit) ~= 'table' then
    error('slm_lsp.setup: next_edit must be a table', 2)
  end
  for name in pairs(next_edit or {}) do
    if M.defaults.next_edit[name] == nil then
      error(('slm_lsp.setup: unknown next_edit option %q'):format(tostring(name)), 2)
    end
  end

  local merged = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  -- Lists replace the defaults rather than merging index by index.
  for _, key in ipairs({ 'cmd', 'filetypes', 'root_markers' }) do
    if opts[key] ~= nil then
      merged[key] = vim.deepcopy(opts[key])
    end
  end
  if opts.settings ~= nil then
    merged.settings = vim.deepcopy(opts.settings)
  end
  merged.fallback = opts.fallback

  if not is_list_of_strings(merged.cmd) or #merged.cmd == 0 then
    error('slm_lsp.setup: cmd must be a non-empty list of strings', 2)
  end
  if not is_list_of_strings(merged.filetypes) then
    error('slm_lsp.setup: filetypes must be a list of strings', 2)
  end
  if not is_list_of_strings(merged.root_markers) then
    error('slm_lsp.setup: root_markers must be a list of strings', 2)
  end
  if type(merged.settings) ~= 'table' then
    error('slm_lsp.setup: settings must be a table', 2)
  end
  if merged.fallback ~= nil and type(merged.fallback) ~= 'boolean' then
    error('slm_lsp.setup: fallback must be nil, true or false', 2)
  end
  if type(merged.debounce_ms) ~= 'number' or merged.debounce_ms < 0 then
    error('slm_lsp.setup: debounce_ms must be a number >= 0', 2)
  end
  if type(merged.auto_trigger) ~= 'boolean' then
    error('slm_lsp.setup: auto_trigger must be a boolean', 2)
  end
  local ne = merged.next_edit
  if type(ne.enable) ~= 'boolean' then
    error('slm_lsp.setup: next_edit.enable must be a boolean', 2)
  end
  if ne.key ~= false and (type(ne.key) ~= 'string' or ne.key == '') then
    error('slm_lsp.setup: next_edit.key must be a key string or false', 2)
  end
  if type(ne.debounce_ms) ~= 'number' or ne.debounce_ms < 0 then
    error('slm_lsp.setup: next_edit.debounce_ms must be a number >= 0', 2)
  end
  return merged
end

--- Whether this Neovim has the built-in inline completion client (0.12+).
---@return boolean
function M.has_native()
  return vim.fn.has('nvim-0.12') == 1 and vim.lsp.inline_completion ~= nil
end

--- Which inline path the options select: 'native', 'fallback' or 'none'.
---@param options? slm_lsp.Options
---@return 'native'|'fallback'|'none'
function M.inline_path(options)
  options = options or M.options
  if options.fallback == true then
    return 'fallback'
  end
  if M.has_native() then
    return 'native'
  end
  return options.fallback == false and 'none' or 'fallback'
end

return M
