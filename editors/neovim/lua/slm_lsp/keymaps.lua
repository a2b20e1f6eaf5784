---@mod slm_lsp.keymaps The insert-mode keymaps: one table of names, default keys and actions

local M = {}

--- Every keymap: its name (a key of `keymaps` in setup()), its default key, its description,
--- and what it does on buffer {bufnr} with the inline path {impl} (slm_lsp.inline or
--- slm_lsp.fallback): true when it did something, else the key itself is typed.
M.ALL = {
  { name = 'accept', key = '<Tab>', desc = 'accept the suggestion',
    run = function(impl, bufnr) return impl.accept(bufnr, 'all') end },
  { name = 'accept_word', key = '<M-Right>', desc = 'accept the next word',
    run = function(impl, bufnr) return impl.accept(bufnr, 'word') end },
  { name = 'accept_word_alt', key = '<C-Right>', desc = 'accept the next word',
    run = function(impl, bufnr) return impl.accept(bufnr, 'word') end },
  { name = 'accept_line', key = '<M-l>', desc = 'accept the next line',
    run = function(impl, bufnr) return impl.accept(bufnr, 'line') end },
  { name = 'next', key = '<M-]>', desc = 'next suggestion',
    run = function(impl, bufnr) return impl.cycle(bufnr, 1) end },
  { name = 'prev', key = '<M-[>', desc = 'previous suggestion',
    run = function(impl, bufnr) return impl.cycle(bufnr, -1) end },
  { name = 'dismiss', key = '<C-]>', desc = 'dismiss the suggestion',
    run = function(impl, bufnr) return impl.dismiss(bufnr) end },
  { name = 'trigger', key = '<M-\\>', desc = 'ask for a suggestion',
    run = function(impl, bufnr)
      vim.schedule(function() impl.trigger(bufnr) end)
      return true
    end },
}

--- The default key of each keymap, by name.
---@return slm_lsp.Keymaps
function M.defaults()
  local keys = {}
  for _, map in ipairs(M.ALL) do
    keys[map.name] = map.key
  end
  return keys
end

--- Set the buffer-local insert-mode keymaps {keys} (name -> key or false) for the inline path
--- {impl}. Accept and dismiss fall through to the key itself when no suggestion is shown, so
--- `<Tab>` still inserts a tab.
---@param bufnr integer
---@param keys slm_lsp.Keymaps
---@param impl table
function M.set(bufnr, keys, impl)
  for _, map in ipairs(M.ALL) do
    local key = keys[map.name]
    if key then
      vim.keymap.set('i', key, function()
        if map.run(impl, bufnr) then
          return ''
        end
        return key
      end, { buffer = bufnr, expr = true, silent = true, desc = 'slm-lsp: ' .. map.desc })
    end
  end
end

return M
