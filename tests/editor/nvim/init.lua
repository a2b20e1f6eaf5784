-- Minimal init for the editor tests: the plugin from this checkout, the server the test names.
-- SLM_LSP_PLUGIN: path of editors/neovim; SLM_LSP_TEST_SETUP: JSON of the options for setup().
vim.opt.runtimepath:prepend(assert(vim.env.SLM_LSP_PLUGIN, 'SLM_LSP_PLUGIN is not set'))
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.opt.shortmess:append('IF')
vim.opt.more = false
local opts = vim.json.decode(vim.env.SLM_LSP_TEST_SETUP or '{}', { luanil = { object = true } })
if opts.fallback == vim.NIL then
  opts.fallback = nil
end
require('slm_lsp').setup(opts)
