---@mod slm_lsp Inline completions, completions and code actions from slm-lsp
---
--- require('slm_lsp').setup({ cmd = ..., settings = ..., filetypes = ..., keymaps = ...,
---   fallback = nil|true|false, next_edit = { enable = true, key = '<M-n>' } })

local M = {}

local NAME = 'slm_lsp'

M._setup_done = false

local function config()
  return require('slm_lsp.config')
end

--- The implementation of the inline path in use: slm_lsp.inline, slm_lsp.fallback or nil.
---@return table?
local function impl()
  local path = config().inline_path()
  if path == 'native' then
    return require('slm_lsp.inline')
  elseif path == 'fallback' then
    return require('slm_lsp.fallback')
  end
end

--- The server command behind "Rewrite selection as asked…".
M.REWRITE_COMMAND = 'slmLsp.rewrite'

--- Client-side handler of the server's `slmLsp.rewrite` command (a code action): ask for the
--- instruction with |vim.ui.input()|, then send the command on with it. The server applies the
--- edit through `workspace/applyEdit`, or says why there is no safe rewrite.
---@param command lsp.Command
---@param ctx { bufnr: integer, client_id: integer }
function M.rewrite(command, ctx)
  local args = vim.deepcopy((command.arguments or {})[1] or {})
  vim.ui.input({ prompt = 'Rewrite selection as: ' }, function(instruction)
    local client = vim.lsp.get_client_by_id(ctx.client_id)
    if not instruction or vim.trim(instruction) == '' or not client then
      return
    end
    args.instruction = instruction
    local params = { command = command.command, arguments = { args } }
    local function done(err)
      if err then
        vim.notify('slm-lsp: ' .. (err.message or tostring(err)), vim.log.levels.WARN)
      end
    end
    if vim.fn.has('nvim-0.11') == 1 then
      client:request('workspace/executeCommand', params, done, ctx.bufnr)
    else
      client.request('workspace/executeCommand', params, done, ctx.bufnr)
    end
  end)
end

--- The table given to vim.lsp.config / vim.lsp.start.
---@param options slm_lsp.Options
---@return vim.lsp.ClientConfig
function M.client_config(options)
  local settings = options.settings
  local has_settings = next(settings) ~= nil
  return {
    name = NAME,
    cmd = options.cmd,
    filetypes = options.filetypes,
    root_markers = options.root_markers,
    -- An empty Lua table would go out as a JSON array: send nothing instead.
    init_options = has_settings and settings or nil,
    settings = has_settings and { slmLsp = settings } or nil,
    handlers = { [require('slm_lsp.status').METHOD] = require('slm_lsp.status').handler },
    commands = { [M.REWRITE_COMMAND] = M.rewrite },
  }
end

--- Start (or reuse) the client for {bufnr}; the fallback path's FileType handler.
---@param bufnr integer
function M.start(bufnr)
  local options = config().options
  local cfg = M.client_config(options)
  cfg.filetypes = nil
  cfg.root_markers = nil
  cfg.root_dir = vim.fs.root(bufnr, options.root_markers)
  if not cfg.root_dir and config().inline_path(options) == 'fallback' then
    -- On the native path vim.lsp.enable() starts root-less clients; match it so they are reused.
    cfg.root_dir = vim.fn.getcwd()
  end
  return vim.lsp.start(cfg, { bufnr = bufnr })
end

local function on_attach(bufnr, client_id)
  local options = config().options
  require('slm_lsp.nextedit').attach(bufnr, options.next_edit)
  local path = config().inline_path(options)
  local module = impl()
  if not module then
    return
  end
  if path == 'native' then
    module.attach(bufnr)
  else
    module.attach(bufnr, client_id)
  end
  require('slm_lsp.keymaps').set(bufnr, options.keymaps, module)
end

--- Define `:SlmLsp`. plugin/slm_lsp.lua calls it at start-up and setup() calls it again, so
--- the command exists also when the plugin joins the runtimepath after start-up (a lazy.nvim
--- `config` that appends it), when Neovim no longer sources plugin/ files.
function M.create_commands()
  vim.api.nvim_create_user_command('SlmLsp', function(args)
    require('slm_lsp').command(args.fargs[1] or 'status')
  end, {
    nargs = '?',
    force = true,
    complete = function()
      return { 'status', 'toggle', 'restart' }
    end,
    desc = 'slm-lsp: status | toggle | restart',
  })
end

--- Configure the client and the inline completion. Call it once, from your config.
---@param opts? table see |slm_lsp-options|
function M.setup(opts)
  M.create_commands()
  local cfg = config()
  cfg.options = cfg.resolve(opts)
  local options = cfg.options
  local path = cfg.inline_path(options)
  local fallback = require('slm_lsp.fallback')
  fallback.debounce_ms = options.debounce_ms
  fallback.auto_trigger = options.auto_trigger

  local group = vim.api.nvim_create_augroup('slm_lsp', { clear = true })
  vim.api.nvim_create_autocmd('LspAttach', {
    group = group,
    callback = function(args)
      local client = vim.lsp.get_client_by_id(args.data.client_id)
      if client and client.name == NAME then
        on_attach(args.buf, client.id)
      end
    end,
  })

  if path ~= 'fallback' and vim.lsp.config ~= nil and vim.fn.has('nvim-0.11') == 1 then
    vim.lsp.config(NAME, M.client_config(options))
    vim.lsp.enable(NAME)
  else
    vim.api.nvim_create_autocmd('FileType', {
      group = group,
      pattern = options.filetypes,
      callback = function(args)
        M.start(args.buf)
      end,
    })
    -- Buffers opened before setup() (e.g. when the plugin is lazy-loaded).
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr)
        and vim.tbl_contains(options.filetypes, vim.bo[bufnr].filetype) then
        M.start(bufnr)
      end
    end
  end
  M._setup_done = true
end

--- Statusline text: "slm ready", "slm loading 40%", "slm busy", ... ("" when not attached).
---@param bufnr? integer
---@return string
function M.status(bufnr)
  return require('slm_lsp.status').text(bufnr)
end

--- Which inline path is used: 'native' (Neovim 0.12+), 'fallback' or 'none'.
---@return 'native'|'fallback'|'none'
function M.inline_path()
  return config().inline_path()
end

--- The slm-lsp clients (all, or those attached to {bufnr}).
---@param bufnr? integer
---@return vim.lsp.Client[]
function M.clients(bufnr)
  return vim.lsp.get_clients({ name = NAME, bufnr = bufnr })
end

--- Whether inline suggestions are on.
---@return boolean
function M.is_enabled()
  local path = config().inline_path()
  if path == 'native' then
    local bufs = {}
    for _, client in ipairs(M.clients()) do
      vim.list_extend(bufs, vim.lsp.get_buffers_by_client_id(client.id))
    end
    return bufs[1] == nil or require('slm_lsp.inline').enabled(bufs[1])
  end
  return path == 'fallback' and require('slm_lsp.fallback').enabled
end

--- Turn inline suggestions on or off (all buffers); returns the new state.
---@param enable? boolean default: the opposite of the current state
---@return boolean
function M.toggle(enable)
  if enable == nil then
    enable = not M.is_enabled()
  end
  local path = config().inline_path()
  if path == 'native' then
    local inline = require('slm_lsp.inline')
    for _, client in ipairs(M.clients()) do
      for _, bufnr in ipairs(vim.lsp.get_buffers_by_client_id(client.id)) do
        if enable then
          inline.attach(bufnr)
        else
          inline.detach(bufnr)
        end
      end
    end
  elseif path == 'fallback' then
    local fallback = require('slm_lsp.fallback')
    fallback.enabled = enable
    if not enable then
      for bufnr in pairs(fallback.states) do
        fallback.dismiss(bufnr)
      end
    end
  end
  return enable
end

--- Stop the server and start it again for the buffers it was attached to.
function M.restart()
  local buffers = {}
  for _, client in ipairs(M.clients()) do
    vim.list_extend(buffers, vim.lsp.get_buffers_by_client_id(client.id))
    require('slm_lsp.status').forget(client.id)
    vim.lsp.stop_client(client.id)
  end
  vim.wait(5000, function()
    return #M.clients() == 0
  end, 50)
  for _, client in ipairs(M.clients()) do
    vim.lsp.stop_client(client.id, true)
  end
  for _, bufnr in ipairs(buffers) do
    if vim.api.nvim_buf_is_valid(bufnr) then
      M.start(bufnr)
    end
  end
end

--- `:SlmLsp {status|toggle|restart}`.
---@param sub string
function M.command(sub)
  if sub == 'toggle' then
    vim.notify(('slm-lsp: inline suggestions %s'):format(M.toggle() and 'on' or 'off'))
  elseif sub == 'restart' then
    M.restart()
    vim.notify('slm-lsp: restarted')
  elseif sub == 'status' then
    local status = require('slm_lsp.status').get()
    local clients = M.clients()
    local lines = {
      ('slm-lsp: %d client(s), inline path: %s, suggestions %s'):format(
        #clients, M.inline_path(), M.is_enabled() and 'on' or 'off'),
    }
    if status then
      lines[#lines + 1] = ('model %s: %s%s'):format(status.model ~= '' and status.model or '?',
        status.state, (status.message ~= '' and status.message ~= status.model)
          and (' (' .. status.message .. ')') or '')
    elseif #clients > 0 then
      lines[#lines + 1] = 'no status from the server yet'
    end
    vim.notify(table.concat(lines, '\n'))
  else
    vim.notify(('slm-lsp: unknown command %q (status, toggle, restart)'):format(sub),
      vim.log.levels.ERROR)
  end
end

return M
