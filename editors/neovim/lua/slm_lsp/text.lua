---@mod slm_lsp.text Buffer text helpers shared by both inline paths

local api = vim.api

local M = {}

--- Byte column of an LSP `character` on {line} in {encoding}.
---@param line string
---@param character integer
---@param encoding string 'utf-8'|'utf-16'|'utf-32'
---@return integer
function M.byte_col(line, character, encoding)
  if encoding == 'utf-8' then
    return math.min(character, #line)
  end
  local ok, col
  if vim.fn.has('nvim-0.11') == 1 then
    ok, col = pcall(vim.str_byteindex, line, encoding, character, false)
  else
    ok, col = pcall(vim.str_byteindex, line, character, encoding == 'utf-16')
  end
  return ok and col or #line
end

--- An LSP range as 0-based (row, byte col) pairs in {bufnr}.
---@param bufnr integer
---@param range lsp.Range
---@param encoding string
---@return integer, integer, integer, integer
function M.buf_range(bufnr, range, encoding)
  local function pos(p)
    local line = api.nvim_buf_get_lines(bufnr, p.line, p.line + 1, false)[1] or ''
    return p.line, M.byte_col(line, p.character, encoding)
  end
  local srow, scol = pos(range.start)
  local erow, ecol = pos(range['end'])
  return srow, scol, erow, ecol
end

--- The part of {text} (meant to start at srow, scol) that is not typed yet when the cursor is at
--- crow, ccol; nil when the cursor left the suggestion's line or typed something else.
---@return string?
function M.remainder(bufnr, text, srow, scol, crow, ccol)
  if crow ~= srow or ccol < scol then
    return nil
  end
  local line = api.nvim_buf_get_lines(bufnr, crow, crow + 1, false)[1] or ''
  local typed = line:sub(scol + 1, ccol)
  if text:sub(1, #typed) ~= typed then
    return nil
  end
  return text:sub(#typed + 1)
end

--- The next word of {s}: leading blanks and a run of word characters or of punctuation; at a
--- line break, the break and the next line's indentation.
---@param s string
---@return string
function M.next_word(s)
  return s:match('^\n[ \t]*') or s:match('^[ \t]*[%w_]+') or s:match('^[ \t]*[^%w_%s]+')
    or s:match('^%s+') or s
end

--- The rest of the current line of {s}; at a line break, the break and the next line.
---@param s string
---@return string
function M.next_line(s)
  local from = s:sub(1, 1) == '\n' and 2 or 1
  local nl = s:find('\n', from, true)
  return nl and s:sub(1, nl - 1) or s
end

--- Replace rows/cols with {text} and put the cursor of {win} at the end of it.
function M.replace(bufnr, win, srow, scol, erow, ecol, text)
  local lines = vim.split(text, '\n', { plain = true })
  api.nvim_buf_set_text(bufnr, srow, scol, erow, ecol, lines)
  local row = srow + #lines - 1
  local col = (#lines == 1 and scol or 0) + #lines[#lines]
  if api.nvim_win_is_valid(win) and api.nvim_win_get_buf(win) == bufnr then
    api.nvim_win_set_cursor(win, { row + 1, col })
  end
end

--- Insert {text} at the cursor of {win} and move the cursor after it.
function M.insert_at_cursor(win, text)
  local bufnr = api.nvim_win_get_buf(win)
  local cursor = api.nvim_win_get_cursor(win)
  M.replace(bufnr, win, cursor[1] - 1, cursor[2], cursor[1] - 1, cursor[2], text)
end

--- The highlight group for ghost text: Neovim's own when it has one.
---@return string
function M.ghost_hl()
  return vim.fn.hlexists('ComplHint') == 1 and 'ComplHint' or 'Comment'
end

return M
