---@mod slm_lsp.nextedit Next edit suggestions (`slmLsp/nextEdit`)
---
--- After you change a buffer the server has (debounced) or leave insert mode, the plugin asks
--- the server for the edit that follows (the other uses of a renamed local or parameter, ...).
--- A proposal away from the cursor gets a sign at its line, its range highlighted and the
--- label at the end of the line. The jump key (`next_edit.key`, default <M-n>) moves the cursor
--- there; pressing it again there makes the edit (only if the buffer is still the version the
--- proposal is for; else it asks again), then asks for the next. Any other edit dismisses it.

local text = require('slm_lsp.text')

local api = vim.api

local M = {}

M.METHOD = 'slmLsp/nextEdit'

local NS = api.nvim_create_namespace('slm_lsp.nextedit')
local GROUP = 'slm_lsp.nextedit'

---@class slm_lsp.NextEditProposal
---@field uri string
---@field version integer
---@field range lsp.Range
---@field newText string
---@field label string
---@field bufnr integer the buffer of `uri`
---@field tick integer its changedtick when the proposal came
---@field client_id integer
---@field origin integer the buffer it was asked from

--- The proposal shown, if any.
---@type slm_lsp.NextEditProposal?
M.current = nil

--- The options in use (`next_edit` of setup()).
M.options = { enable = true, key = '<M-n>', debounce_ms = 300 }

--- Bumped by every request, change and dismissal: an answer to an older request is dropped.
local generation = 0
local timer = nil
--- changedtick of each buffer right after the plugin's own edit (not the user's change).
local own_tick = {}

local function client_for(bufnr)
  return vim.lsp.get_clients({ name = 'slm_lsp', bufnr = bufnr })[1]
end

local function valid_pos(p)
  return type(p) == 'table' and type(p.line) == 'number' and type(p.character) == 'number'
    and p.line >= 0 and p.character >= 0
end

local function before(a, b)
  return a.line < b.line or (a.line == b.line and a.character < b.character)
end

--- The proposal in a `slmLsp/nextEdit` result, or nil (null, or not one).
---@param result any
---@return table?
function M.read(result)
  if type(result) ~= 'table' or type(result.range) ~= 'table' then
    return nil
  end
  local r = result.range
  if not valid_pos(r.start) or not valid_pos(r['end']) or before(r['end'], r.start) then
    return nil
  end
  if type(result.uri) ~= 'string' or result.uri == '' or type(result.version) ~= 'number'
    or type(result.newText) ~= 'string' then
    return nil
  end
  local label = type(result.label) == 'string' and vim.trim(result.label) or ''
  return {
    uri = result.uri,
    version = result.version,
    range = { start = r.start, ['end'] = r['end'] },
    newText = result.newText,
    label = label ~= '' and label or 'Next edit',
  }
end

--- The LSP version Neovim sent last for {bufnr}.
local function lsp_version(bufnr)
  local versions = vim.lsp.util.buf_versions
  return versions and versions[bufnr] or api.nvim_buf_get_changedtick(bufnr)
end

--- The loaded buffer of {uri} among those {client} has (never a new buffer).
local function buffer_of(client, uri)
  for _, b in ipairs(vim.lsp.get_buffers_by_client_id(client.id)) do
    if api.nvim_buf_is_loaded(b) and vim.uri_from_bufnr(b) == uri then
      return b
    end
  end
end

--- 0-based (row, byte col) of the proposal's range in its buffer.
local function byte_range(p, encoding)
  return text.buf_range(p.bufnr, p.range, encoding)
end

local function encoding_of(p)
  local client = vim.lsp.get_client_by_id(p.client_id)
  return client and client.offset_encoding or 'utf-16'
end

--- Whether the cursor of window {win} is at the proposal (inside its range or at an end).
local function at_cursor(p, win)
  if api.nvim_win_get_buf(win) ~= p.bufnr then
    return false
  end
  local srow, scol, erow, ecol = byte_range(p, encoding_of(p))
  local cursor = api.nvim_win_get_cursor(win)
  local row, col = cursor[1] - 1, cursor[2]
  local after_start = row > srow or (row == srow and col >= scol)
  local before_end = row < erow or (row == erow and col <= ecol)
  return after_start and before_end
end

local function key_name()
  return M.options.key or 'jump key'
end

local function render()
  for _, b in ipairs(api.nvim_list_bufs()) do
    if api.nvim_buf_is_valid(b) then
      api.nvim_buf_clear_namespace(b, NS, 0, -1)
    end
  end
  local p = M.current
  if not p or not api.nvim_buf_is_valid(p.bufnr) then
    return
  end
  local srow, scol, erow, ecol = byte_range(p, encoding_of(p))
  local there = at_cursor(p, api.nvim_get_current_win())
  local hint = (there and '%s to accept: %s' or '%s: %s'):format(key_name(), p.label)
  local preview = vim.split(p.newText, '\n', { plain = true })[1]
  if preview ~= '' and not p.label:find(preview, 1, true) then
    hint = hint .. ' → ' .. preview .. (p.newText:find('\n', 1, true) and '…' or '')
  end
  api.nvim_buf_set_extmark(p.bufnr, NS, srow, 0, {
    sign_text = '⇥',
    sign_hl_group = 'SlmLspNextEditSign',
    virt_text = { { '⇥ ' .. hint, 'SlmLspNextEdit' } },
    virt_text_pos = 'eol',
    priority = 200,
  })
  if srow ~= erow or scol ~= ecol then
    api.nvim_buf_set_extmark(p.bufnr, NS, srow, scol, {
      end_row = erow, end_col = ecol, hl_group = 'SlmLspNextEditRange', priority = 200,
    })
  end
end

--- Hide the proposal and drop any answer still on its way.
function M.dismiss()
  generation = generation + 1
  if timer then
    timer:stop()
  end
  local had = M.current ~= nil
  M.current = nil
  if had then
    render()
  end
  return had
end

--- Ask the server for the next edit at the cursor of the current window (in {bufnr}).
---@param bufnr? integer
function M.request(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and api.nvim_get_current_buf() or bufnr
  if timer then
    timer:stop()
  end
  generation = generation + 1
  local gen = generation
  local win = api.nvim_get_current_win()
  local client = client_for(bufnr)
  if not M.options.enable or not client or api.nvim_win_get_buf(win) ~= bufnr then
    return
  end
  local params = vim.lsp.util.make_position_params(win, client.offset_encoding)
  local tick = api.nvim_buf_get_changedtick(bufnr)
  local request = vim.fn.has('nvim-0.11') == 1 and client.request or function(c, ...)
    return c.request(...)
  end
  request(client, M.METHOD, params, function(err, result)
    if err or gen ~= generation or not api.nvim_buf_is_valid(bufnr)
      or api.nvim_buf_get_changedtick(bufnr) ~= tick then
      return -- the user went on: a newer request follows
    end
    local p = M.read(result)
    if not p then
      return
    end
    local target = buffer_of(client, p.uri)
    if not target or lsp_version(target) ~= p.version then
      return
    end
    p.bufnr, p.tick, p.client_id, p.origin = target, api.nvim_buf_get_changedtick(target),
      client.id, bufnr
    if api.nvim_get_current_win() == win and at_cursor(p, win) then
      return -- where the user is typing
    end
    M.current = p
    render()
  end, bufnr)
end

--- Move the cursor to the proposal (its buffer in the current window). False when none.
---@return boolean
function M.jump()
  local p = M.current
  if not p or not api.nvim_buf_is_valid(p.bufnr) then
    return false
  end
  if api.nvim_get_mode().mode == 'n' then
    vim.cmd("normal! m'") -- <C-o> comes back
  end
  if api.nvim_get_current_buf() ~= p.bufnr and not pcall(api.nvim_win_set_buf, 0, p.bufnr) then
    return false
  end
  local srow, scol = byte_range(p, encoding_of(p))
  api.nvim_win_set_cursor(0, { srow + 1, scol })
  render()
  return true
end

--- Make the proposal, if its buffer is still the version it is for (else ask again), then ask
--- for the next. False when none is shown.
---@return boolean
function M.accept()
  local p = M.current
  if not p then
    return false
  end
  M.dismiss()
  local client = vim.lsp.get_client_by_id(p.client_id)
  if not client or not api.nvim_buf_is_valid(p.bufnr) then
    return true
  end
  if api.nvim_buf_get_changedtick(p.bufnr) ~= p.tick or lsp_version(p.bufnr) ~= p.version then
    M.request(p.bufnr)
    return true
  end
  local srow, scol = byte_range(p, client.offset_encoding)
  vim.lsp.util.apply_text_edits({ { range = p.range, newText = p.newText } }, p.bufnr,
    client.offset_encoding)
  own_tick[p.bufnr] = api.nvim_buf_get_changedtick(p.bufnr)
  if api.nvim_get_current_buf() == p.bufnr then
    local lines = vim.split(p.newText, '\n', { plain = true })
    local row = srow + #lines - 1
    local col = (#lines == 1 and scol or 0) + #lines[#lines]
    pcall(api.nvim_win_set_cursor, 0, { row + 1, col })
  end
  M.request(p.bufnr)
  return true
end

--- The jump key: go to the proposal, or make it when the cursor is there. False when none is
--- shown (the key is typed as usual).
---@return boolean
function M.jump_or_accept()
  local p = M.current
  if not p then
    return false
  end
  if at_cursor(p, api.nvim_get_current_win()) then
    return M.accept()
  end
  return M.jump()
end

local function on_change(bufnr)
  if own_tick[bufnr] == api.nvim_buf_get_changedtick(bufnr) then
    return -- the plugin's own edit
  end
  own_tick[bufnr] = nil
  M.dismiss()
  if not M.options.enable then
    return
  end
  timer = timer or vim.uv.new_timer()
  timer:start(M.options.debounce_ms, 0, vim.schedule_wrap(function()
    if api.nvim_buf_is_valid(bufnr) and api.nvim_get_current_buf() == bufnr then
      M.request(bufnr)
    end
  end))
end

--- Ask after changes (debounced) and on leaving insert mode in {bufnr}, and set the jump key.
---@param bufnr integer
---@param options table `next_edit` of setup()
function M.attach(bufnr, options)
  M.options = options
  api.nvim_set_hl(0, 'SlmLspNextEdit', { link = 'DiagnosticHint', default = true })
  api.nvim_set_hl(0, 'SlmLspNextEditSign', { link = 'DiagnosticInfo', default = true })
  api.nvim_set_hl(0, 'SlmLspNextEditRange', { link = 'DiffChange', default = true })
  local group = api.nvim_create_augroup(GROUP .. '.' .. bufnr, { clear = true })
  if not options.enable then
    return
  end
  api.nvim_create_autocmd({ 'TextChanged', 'TextChangedI' }, {
    group = group,
    buffer = bufnr,
    callback = function(args) on_change(args.buf) end,
  })
  api.nvim_create_autocmd('InsertLeave', {
    group = group,
    buffer = bufnr,
    callback = function(args)
      if not M.current then
        M.request(args.buf)
      end
    end,
  })
  api.nvim_create_autocmd({ 'CursorMoved', 'CursorMovedI' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      if M.current then
        render() -- "to accept" when the cursor is there
      end
    end,
  })
  api.nvim_create_autocmd({ 'BufUnload', 'BufDelete' }, {
    group = group,
    buffer = bufnr,
    callback = function(args)
      if M.current and (M.current.bufnr == args.buf or M.current.origin == args.buf) then
        M.dismiss()
      end
    end,
  })
  local key = options.key
  if key then
    vim.keymap.set({ 'n', 'i' }, key, function()
      if not M.current then
        return key
      end
      vim.schedule(M.jump_or_accept)
      return ''
    end, { buffer = bufnr, expr = true, silent = true, desc = 'slm-lsp: go to / make the next edit' })
  end
end

--- Stop asking in {bufnr}.
---@param bufnr integer
function M.detach(bufnr)
  pcall(api.nvim_del_augroup_by_name, GROUP .. '.' .. bufnr)
  if M.current and (M.current.bufnr == bufnr or M.current.origin == bufnr) then
    M.dismiss()
  end
end

return M
