---@mod slm_lsp.fallback Ghost-text inline completion for Neovim without the built-in client
---
--- Neovim 0.10/0.11 (or `fallback = true`): on TextChangedI/CursorMovedI, after a debounce, the
--- previous request is cancelled and `textDocument/inlineCompletion` is sent; the first item is
--- shown as an extmark (`virt_text` for its first line, `virt_lines` for the rest). Typing what
--- the suggestion shows keeps it; anything else, leaving insert mode or the buffer, hides it.

local text = require('slm_lsp.text')

local api = vim.api
local uv = vim.uv or vim.loop

local M = {}

local METHOD = 'textDocument/inlineCompletion'
local INVOKED, AUTOMATIC = 1, 2
local ns = api.nvim_create_namespace('slm_lsp.fallback')
local has_011 = vim.fn.has('nvim-0.11') == 1

---@class (exact) slm_lsp.fallback.State
---@field client_id integer
---@field augroup integer
---@field timer? uv.uv_timer_t
---@field request_id? integer
---@field seq integer
---@field items? table[] the items of the last answer
---@field index integer the item shown
---@field anchor? integer[] 0-based row, byte col of the cursor when the request was sent
---@field encoding string the client's offset encoding

---@type table<integer, slm_lsp.fallback.State>
M.states = {}

--- Whether automatic requests are sent (`:SlmLsp toggle`).
M.enabled = true

--- Debounce delay in milliseconds and automatic trigger, set by setup().
M.debounce_ms = 150
M.auto_trigger = true

local function client_of(state)
  return state and vim.lsp.get_client_by_id(state.client_id)
end

local function stop_timer(state)
  if state.timer then
    state.timer:stop()
    if not state.timer:is_closing() then
      state.timer:close()
    end
    state.timer = nil
  end
end

local function cancel(state)
  stop_timer(state)
  local client = client_of(state)
  if state.request_id and client then
    if has_011 then
      client:cancel_request(state.request_id)
    else
      client.cancel_request(state.request_id)
    end
  end
  state.request_id = nil
  state.seq = state.seq + 1
end

local function hide(bufnr)
  if api.nvim_buf_is_valid(bufnr) then
    api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  end
end

local function cursor_of(bufnr)
  local win = api.nvim_get_current_win()
  if api.nvim_win_get_buf(win) ~= bufnr then
    return nil
  end
  local c = api.nvim_win_get_cursor(win)
  return c[1] - 1, c[2]
end

local function insert_text_of(item)
  local t = item.insertText
  if type(t) == 'table' then
    t = t.value -- a snippet: shown and inserted as its plain text
  end
  return type(t) == 'string' and t or ''
end

--- Where the current item starts and what of it is not typed yet.
---@return table? info { item, text, srow, scol, erow, ecol, rest }
local function current(bufnr)
  local state = M.states[bufnr]
  if not state or not state.items or not state.items[state.index] then
    return nil
  end
  local item = state.items[state.index]
  local crow, ccol = cursor_of(bufnr)
  if not crow then
    return nil
  end
  local t = insert_text_of(item)
  local srow, scol, erow, ecol
  if item.range then
    srow, scol, erow, ecol = text.buf_range(bufnr, item.range, state.encoding)
  else
    srow, scol = state.anchor[1], state.anchor[2]
    erow, ecol = srow, scol
  end
  if erow < crow or (erow == crow and ecol < ccol) then
    erow, ecol = crow, ccol -- what was typed through is part of what the item replaces
  end
  local rest = text.remainder(bufnr, t, srow, scol, crow, ccol)
  if not rest or rest == '' then
    return nil
  end
  return { item = item, text = t, srow = srow, scol = scol, erow = erow, ecol = ecol, rest = rest }
end

--- Draw the current item as ghost text at the cursor; false when nothing is left to show.
---@param bufnr integer
---@return boolean
function M.show(bufnr)
  hide(bufnr)
  local info = current(bufnr)
  if not info then
    return false
  end
  local state = M.states[bufnr]
  local hl = text.ghost_hl()
  local lines = vim.split(info.rest, '\n', { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    virt_lines[#virt_lines + 1] = { { lines[i], hl } }
  end
  local first = { { lines[1], hl } }
  if #state.items > 1 then
    local hint = (' (%d/%d)'):format(state.index, #state.items)
    local last = #virt_lines > 0 and virt_lines[#virt_lines] or first
    last[#last + 1] = { hint, 'MoreMsg' }
  end
  local row, col = cursor_of(bufnr)
  api.nvim_buf_set_extmark(bufnr, ns, row, col, {
    virt_text = first,
    virt_text_pos = 'inline',
    virt_lines = #virt_lines > 0 and virt_lines or nil,
    hl_mode = 'combine',
  })
  return true
end

--- Whether a suggestion is shown in {bufnr}.
---@param bufnr? integer
---@return boolean
function M.visible(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  return #api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { limit = 1 }) > 0
end

--- The items of the last answer for {bufnr}, and the index shown (for statuslines and tests).
---@param bufnr? integer
---@return table[]?, integer?
function M.items(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local state = M.states[bufnr]
  return state and state.items, state and state.index
end

local function on_answer(bufnr, seq, tick, err, result)
  local state = M.states[bufnr]
  if not state or state.seq ~= seq then
    return -- a newer request, or a dismissal, came after this one
  end
  state.request_id = nil
  if err then
    if err.code ~= -32800 then
      vim.lsp.log.warn('slm_lsp: inline completion failed', err)
    end
    return
  end
  if not api.nvim_buf_is_valid(bufnr) or api.nvim_buf_get_changedtick(bufnr) ~= tick then
    return
  end
  local items = {}
  for _, item in ipairs(result and (result.items or result) or {}) do
    if insert_text_of(item) ~= '' then
      items[#items + 1] = item
    end
  end
  state.items = #items > 0 and items or nil
  state.index = 1
  M.show(bufnr)
end

--- Send a request now; {kind} is 1 (invoked) or 2 (automatic).
---@param bufnr? integer
---@param kind? integer
function M.request(bufnr, kind)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local state = M.states[bufnr]
  local client = client_of(state)
  if not client or api.nvim_get_current_buf() ~= bufnr then
    return
  end
  cancel(state)
  local row, col = cursor_of(bufnr)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = kind or INVOKED }
  state.anchor = { row, col }
  local seq, tick = state.seq, api.nvim_buf_get_changedtick(bufnr)
  local handler = function(err, result)
    on_answer(bufnr, seq, tick, err, result)
  end
  local ok, id
  if has_011 then
    ok, id = client:request(METHOD, params, handler, bufnr)
  else
    ok, id = client.request(METHOD, params, handler, bufnr)
  end
  state.request_id = ok and id or nil
end

--- Ask for a suggestion now (the trigger key).
---@param bufnr? integer
function M.trigger(bufnr)
  M.request(bufnr, INVOKED)
end

local function schedule_request(bufnr)
  local state = M.states[bufnr]
  stop_timer(state)
  if not (M.enabled and M.auto_trigger) then
    return
  end
  state.timer = uv.new_timer()
  state.timer:start(M.debounce_ms, 0, vim.schedule_wrap(function()
    stop_timer(state)
    if M.states[bufnr] == state and api.nvim_get_mode().mode:sub(1, 1) == 'i' then
      M.request(bufnr, AUTOMATIC)
    end
  end))
end

local function on_edit(bufnr)
  local state = M.states[bufnr]
  if not state then
    return
  end
  -- Type-through: what was typed matches the suggestion, so keep showing the rest.
  if state.items and M.show(bufnr) then
    return
  end
  cancel(state)
  state.items = nil
  hide(bufnr)
  schedule_request(bufnr)
end

--- Hide the suggestion and cancel pending requests; true when one was shown.
---@param bufnr? integer
---@return boolean
function M.dismiss(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local state = M.states[bufnr]
  local shown = M.visible(bufnr)
  if state then
    cancel(state)
    state.items = nil
  end
  hide(bufnr)
  return shown
end

--- Accept the suggestion, or its next word or line ({part} = 'all'|'word'|'line').
--- The edit is scheduled, so this can run from an `<expr>` mapping. False when none is shown.
---@param bufnr? integer
---@param part? 'all'|'word'|'line'
---@return boolean
function M.accept(bufnr, part)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  part = part or 'all'
  local info = M.visible(bufnr) and current(bufnr)
  if not info then
    return false
  end
  local state = M.states[bufnr]
  local win = api.nvim_get_current_win()
  vim.schedule(function()
    if not api.nvim_buf_is_valid(bufnr) or api.nvim_win_get_buf(win) ~= bufnr then
      return
    end
    if part == 'all' then
      cancel(state)
      state.items = nil
      hide(bufnr)
      -- The item's range replaces what it covers (e.g. the typed start of the line).
      text.replace(bufnr, win, info.srow, info.scol, info.erow, info.ecol, info.text)
      return
    end
    local piece = part == 'word' and text.next_word(info.rest) or text.next_line(info.rest)
    text.insert_at_cursor(win, piece)
    local rest = info.rest:sub(#piece + 1)
    if rest == '' then
      state.items = nil
      hide(bufnr)
    else
      -- Keep the rest as the one suggestion, anchored where the cursor is now.
      local row, col = cursor_of(bufnr)
      state.items, state.index, state.anchor = { { insertText = rest } }, 1, { row, col }
      M.show(bufnr)
    end
  end)
  return true
end

--- Show the next ({delta} = 1) or previous (-1) item; false when there is nothing to cycle.
---@param bufnr? integer
---@param delta integer
---@return boolean
function M.cycle(bufnr, delta)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  local state = M.states[bufnr]
  if not state or not state.items then
    if state then
      M.request(bufnr, INVOKED)
    end
    return state ~= nil
  end
  local n = #state.items
  state.index = (state.index - 1 + delta) % n + 1
  M.show(bufnr)
  return true
end

--- Start handling {bufnr} for the client {client_id}.
---@param bufnr integer
---@param client_id integer
function M.attach(bufnr, client_id)
  if M.states[bufnr] then
    M.detach(bufnr)
  end
  local client = vim.lsp.get_client_by_id(client_id)
  local augroup = api.nvim_create_augroup('slm_lsp.fallback.' .. bufnr, { clear = true })
  M.states[bufnr] = {
    client_id = client_id,
    augroup = augroup,
    seq = 0,
    index = 1,
    encoding = client and client.offset_encoding or 'utf-16',
  }
  api.nvim_create_autocmd({ 'TextChangedI', 'CursorMovedI', 'InsertEnter' }, {
    group = augroup,
    buffer = bufnr,
    callback = function()
      on_edit(bufnr)
    end,
  })
  api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = augroup,
    buffer = bufnr,
    callback = function()
      M.dismiss(bufnr)
    end,
  })
  api.nvim_create_autocmd({ 'BufUnload', 'BufWipeout' }, {
    group = augroup,
    buffer = bufnr,
    callback = function()
      M.detach(bufnr)
    end,
  })
  api.nvim_create_autocmd('LspDetach', {
    group = augroup,
    buffer = bufnr,
    callback = function(args)
      if args.data and args.data.client_id == client_id then
        M.detach(bufnr)
      end
    end,
  })
end

--- Stop handling {bufnr}.
---@param bufnr integer
function M.detach(bufnr)
  local state = M.states[bufnr]
  if not state then
    return
  end
  cancel(state)
  hide(bufnr)
  pcall(api.nvim_del_augroup_by_id, state.augroup)
  M.states[bufnr] = nil
end

return M
