vim.api.nvim_create_user_command('SlmLsp', function(args)
  require('slm_lsp').command(args.fargs[1] or 'status')
end, { nargs = '?', complete = function() return { 'status', 'toggle', 'restart' } end,
  desc = 'slm-lsp: status | toggle | restart' })
