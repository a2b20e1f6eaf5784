-- Init for the tests that load the plugin themselves (as a plugin manager does, after start-up).
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.opt.shortmess:append('IF')
vim.opt.more = false
