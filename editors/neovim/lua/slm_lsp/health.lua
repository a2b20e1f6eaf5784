---@mod slm_lsp.health `:checkhealth slm_lsp`

local M = {}

local health = vim.health

local function check_neovim(config)
  health.start('Neovim')
  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.10') == 0 then
    health.error('Neovim ' .. version .. ' is too old', { 'slm_lsp needs Neovim 0.10 or newer' })
  else
    health.ok('Neovim ' .. version)
  end
  local path = config.inline_path()
  if path == 'native' then
    health.ok('inline path: native (vim.lsp.inline_completion)')
  elseif path == 'fallback' then
    health.ok('inline path: fallback (slm_lsp ghost text)'
      .. (config.has_native() and ', forced by `fallback = true`' or ''))
  else
    health.warn('inline path: none', {
      'this Neovim has no vim.lsp.inline_completion and `fallback = false`',
      'remove `fallback = false` to use the plugin\'s own ghost text',
    })
  end
  local next_edit = config.options.next_edit
  if next_edit.enable then
    health.ok(('next edits: on, jump key %s'):format(next_edit.key or 'none (next_edit.key = false)'))
  else
    health.info('next edits: off (next_edit.enable = false)')
  end
end

--- Map `slm-lsp doctor` lines ("[ok  ] ...", "[FAIL] ...", "[note] ...") onto health reports.
local function report_doctor(output)
  local last, advice = nil, {}
  local function flush()
    if last then
      last.fn(last.text, advice[1] and advice or nil)
    end
    last, advice = nil, {}
  end
  for _, line in ipairs(vim.split(output, '\n', { trimempty = true })) do
    local mark, rest = line:match('^%[(%a+)%s*%]%s*(.*)$')
    if mark then
      flush()
      local fn = mark == 'ok' and health.ok or mark == 'FAIL' and health.error or health.info
      last = { fn = fn, text = rest }
    elseif line:match('^%s+%->') then
      advice[#advice + 1] = vim.trim(line:gsub('^%s+%->%s*', ''))
    else
      flush()
      health.info(vim.trim(line))
    end
  end
  flush()
end

local function check_server(config)
  health.start('Server')
  local cmd = config.options.cmd
  local exe = cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    health.error(('server command not found: %s'):format(exe), {
      'install the server from a checkout of the slm-lsp repository: '
        .. 'pipx install /path/to/slm-lsp (or pip install /path/to/slm-lsp in a virtualenv)',
      'or set `cmd` in require("slm_lsp").setup({ cmd = { ... } })',
    })
    return
  end
  health.ok(('server command: %s (%s)'):format(table.concat(cmd, ' '), vim.fn.exepath(exe)))
  local doctor = vim.list_extend(vim.deepcopy(cmd), { 'doctor' })
  local ok, result = pcall(function()
    return vim.system(doctor, { text = true }):wait(60000)
  end)
  if not ok then
    health.error('could not run ' .. table.concat(doctor, ' ') .. ': ' .. tostring(result))
    return
  end
  if result.signal and result.signal ~= 0 then
    health.error(('`%s` did not finish (signal %d)'):format(table.concat(doctor, ' '),
      result.signal))
    return
  end
  report_doctor(result.stdout or '')
  if result.code ~= 0 then
    health.error(('`%s` exited with %d'):format(table.concat(doctor, ' '), result.code),
      { vim.trim(result.stderr or '') })
  end
end

local function check_clients(config)
  health.start('Client')
  local clients = vim.lsp.get_clients({ name = 'slm_lsp' })
  if #clients == 0 then
    health.info('no slm_lsp client is running (open a file of a configured filetype: '
      .. table.concat(config.options.filetypes, ', ') .. ')')
  end
  for _, client in ipairs(clients) do
    local bufs = vim.lsp.get_buffers_by_client_id(client.id)
    local names = {}
    for _, b in ipairs(bufs) do
      names[#names + 1] = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(b), ':t')
    end
    health.ok(('client %d attached to %d buffer(s): %s (encoding %s)'):format(client.id, #bufs,
      table.concat(names, ', '), client.offset_encoding))
    local caps = client.server_capabilities or {}
    if caps.inlineCompletionProvider then
      health.ok('the server offers inline completion')
    else
      health.warn('the server does not offer inline completion')
    end
  end

  local status = require('slm_lsp.status').last
  if not status then
    if #clients > 0 then
      health.info('no model status from the server yet')
    end
    return
  end
  local text = ('model %s: %s%s'):format(status.model ~= '' and status.model or '(none)',
    status.state, (status.message ~= '' and status.message ~= status.model)
      and (' - ' .. status.message) or '')
  if status.state == 'ready' or status.state == 'busy' then
    health.ok(text)
  elseif status.state == 'loading' then
    health.info(text)
  elseif status.state == 'disabled' then
    health.warn(text, { 'check the `model` setting and `slm-lsp doctor`' })
  else
    health.error(text, { 'see :LspLog, and run `slm-lsp doctor`' })
  end
end

function M.check()
  local config = require('slm_lsp.config')
  check_neovim(config)
  if not require('slm_lsp')._setup_done then
    health.warn('require("slm_lsp").setup() was not called: using the defaults below')
  end
  check_server(config)
  check_clients(config)
end

return M
