---@mod slm_lsp.status The server's `slmLsp/status` notifications, for statuslines

local api = vim.api

local M = {}

M.NAME = 'slm_lsp'
M.METHOD = 'slmLsp/status'

---@class (exact) slm_lsp.Status
---@field state 'loading'|'ready'|'busy'|'error'|'disabled'
---@field message string
---@field percentage integer?
---@field model string
---@field client_id integer
---@field time integer when it arrived (os.time())

---@type table<integer, slm_lsp.Status>
M.by_client = {}
---@type slm_lsp.Status?
M.last = nil

--- Handler for `slmLsp/status` (a notification: the return value is ignored).
---@param result table
---@param ctx lsp.HandlerContext
function M.handler(_, result, ctx)
  if type(result) ~= 'table' then
    return
  end
  local function str(v)
    return type(v) == 'string' and v or ''
  end
  local status = {
    state = str(result.state),
    message = str(result.message),
    percentage = type(result.percentage) == 'number' and result.percentage or nil,
    model = str(result.model),
    client_id = ctx.client_id,
    time = os.time(),
  }
  M.by_client[ctx.client_id] = status
  M.last = status
  api.nvim_exec_autocmds('User', { pattern = 'SlmLspStatus', modeline = false, data = status })
  pcall(vim.cmd.redrawstatus)
end

--- The status for {bufnr}: from the client attached to it, else the last one received.
---@param bufnr? integer
---@return slm_lsp.Status?
function M.get(bufnr)
  for _, client in ipairs(vim.lsp.get_clients({ name = M.NAME, bufnr = bufnr or 0 })) do
    if M.by_client[client.id] then
      return M.by_client[client.id]
    end
  end
  return M.last
end

--- A short text for a statusline: "slm ready", "slm loading 40%", "" when there is no client.
---@param bufnr? integer
---@return string
function M.text(bufnr)
  bufnr = bufnr or 0
  local attached = #vim.lsp.get_clients({ name = M.NAME, bufnr = bufnr }) > 0
  if not attached then
    return ''
  end
  local status = M.get(bufnr)
  if not status then
    return 'slm starting'
  end
  local s = 'slm ' .. status.state
  if status.state == 'loading' and status.percentage then
    s = ('%s %d%%'):format(s, status.percentage)
  end
  return s
end

--- Forget the status of {client_id} (it exited).
---@param client_id integer
function M.forget(client_id)
  M.by_client[client_id] = nil
  if M.last and M.last.client_id == client_id then
    M.last = nil
  end
end

return M
