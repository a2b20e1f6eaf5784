---@mod slm_lsp.inline Built-in inline completion (Neovim 0.12+)

local text = require('slm_lsp.text')

local api = vim.api

local M = {}

local INVOKED = 1

--- Neovim's per-buffer inline completion state, when this build exposes it (used only to
--- dismiss and to send an invoked request; everything else goes through the public API).
local function completor(bufnr)
  local ok, capability = pcall(function()
    return vim.lsp._capability.all.inline_completion.active[bufnr]
  end)
  return ok and capability or nil
end

local function buf(bufnr)
  return (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
end

--- Turn on the built-in inline completion for {bufnr}. Neovim attaches it to every client of
--- the buffer that supports `textDocument/inlineCompletion`.
---@param bufnr integer
function M.attach(bufnr)
  vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
end

--- Turn it off for {bufnr}.
---@param bufnr integer
function M.detach(bufnr)
  if api.nvim_buf_is_valid(bufnr) then
    vim.lsp.inline_completion.enable(false, { bufnr = bufnr })
  end
end

---@param bufnr? integer
---@return boolean
function M.enabled(bufnr)
  return vim.lsp.inline_completion.is_enabled({ bufnr = buf(bufnr) })
end

--- Whether a suggestion is shown in {bufnr}.
---@param bufnr? integer
---@return boolean
function M.visible(bufnr)
  local c = completor(buf(bufnr))
  return c ~= nil and c.current ~= nil
end

--- Accept the suggestion, or its next word or line. False when none is shown.
---@param bufnr? integer
---@param part? 'all'|'word'|'line'
---@return boolean
function M.accept(bufnr, part)
  bufnr = buf(bufnr)
  if part == nil or part == 'all' then
    return vim.lsp.inline_completion.get({ bufnr = bufnr })
  end
  local win = api.nvim_get_current_win()
  return vim.lsp.inline_completion.get({
    bufnr = bufnr,
    on_accept = function(item)
      local t = item.insert_text
      t = type(t) == 'table' and t.value or t
      if type(t) ~= 'string' or api.nvim_win_get_buf(win) ~= bufnr then
        return
      end
      local cursor = api.nvim_win_get_cursor(win)
      local crow, ccol = cursor[1] - 1, cursor[2]
      local rest = t
      if item.range then
        rest = text.remainder(bufnr, t, item.range.start.row, item.range.start.col, crow, ccol)
      end
      if rest and rest ~= '' then
        -- Neovim asks again once the cursor moves; the server's cache answers with the rest.
        text.insert_at_cursor(win, part == 'word' and text.next_word(rest) or text.next_line(rest))
      end
    end,
  })
end

--- Show the next ({delta} = 1) or previous (-1) suggestion.
---@param bufnr? integer
---@param delta integer
---@return boolean
function M.cycle(bufnr, delta)
  bufnr = buf(bufnr)
  if not M.visible(bufnr) then
    return false
  end
  local c = completor(bufnr)
  if c and c.count_items and c.request and c:count_items() <= 1 then
    -- The server answers a first request with one suggestion; asking again at the same place
    -- gets its candidates (as VS Code's next key does).
    c:request(INVOKED)
    return true
  end
  vim.lsp.inline_completion.select({ bufnr = bufnr, count = delta })
  return true
end

--- Hide the suggestion; true when one was shown.
---@param bufnr? integer
---@return boolean
function M.dismiss(bufnr)
  local c = completor(buf(bufnr))
  if not (c and c.current and c.abort) then
    return false
  end
  c:abort()
  return true
end

--- Ask for a suggestion now, as an invoked (not automatic) request.
---@param bufnr? integer
function M.trigger(bufnr)
  local c = completor(buf(bufnr))
  if c and c.request then
    c:request(INVOKED)
  end
end

return M
