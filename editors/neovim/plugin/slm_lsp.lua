require('slm_lsp').create_commands()
