import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  Json,
  JsonObject,
  configurationAnswers,
  didChangePayload,
  findOnPath,
  launchSettings,
  resolveCli,
  scriptPath,
  serverSettings,
  withArgs,
} from '../settings';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
const properties: Record<string, { default: Json }> = manifest.contributes.configuration.properties;

/** The section as VS Code builds it from the contributed defaults, methods included. */
function defaultSection(): Record<string, unknown> {
  const section: Record<string, unknown> = {
    get: () => undefined,
    has: () => false,
    inspect: () => undefined,
    update: async () => undefined,
  };
  for (const [key, prop] of Object.entries(properties)) {
    const parts = key.split('.').slice(1);
    let node = section as Record<string, Json>;
    for (const part of parts.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, Json>;
    }
    node[parts[parts.length - 1]] = prop.default;
  }
  return section;
}

describe('serverSettings', () => {
  it('is the section without the client-only keys and without methods', () => {
    const settings = serverSettings(defaultSection());
    assert.equal('server' in settings, false);
    assert.equal('trace' in settings, false);
    assert.equal('get' in settings, false);
    assert.equal((settings.completion as JsonObject).maxTokens, 64);
    assert.equal((settings.backend as JsonObject).type, 'local');
    assert.deepEqual((settings.completion as JsonObject).disabledLanguages, []);
  });
  it('has every contributed key except the client-only ones', () => {
    const leaves: string[] = [];
    const walk = (obj: JsonObject, prefix: string) => {
      for (const [k, v] of Object.entries(obj)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
          walk(v, `${prefix}${k}.`);
        } else {
          leaves.push(`${prefix}${k}`);
        }
      }
    };
    walk(serverSettings(defaultSection()), 'slmLsp.');
    const expected = Object.keys(properties).filter(
      (k) => !k.startsWith('slmLsp.server.') && !k.startsWith('slmLsp.trace.'),
    );
    assert.deepEqual(leaves.sort(), expected.sort());
  });
  it('does not change the section it was given', () => {
    const section = defaultSection();
    serverSettings(section);
    assert.equal((section.server as JsonObject).path, '');
  });
  it('wraps the section for didChangeConfiguration', () => {
    const payload = didChangePayload({ model: 'x', server: { path: '/p' }, trace: { server: 'off' } });
    assert.deepEqual(payload, { slmLsp: { model: 'x' } });
  });
  it('treats a missing section as empty', () => {
    assert.deepEqual(serverSettings(undefined), {});
    assert.deepEqual(serverSettings([1, 2]), {});
  });
});

describe('configurationAnswers', () => {
  it('strips client-only keys from answers for the whole section only', () => {
    const answers = configurationAnswers(
      [{ section: 'slmLsp' }, { section: 'slmLsp.server' }, {}, { section: 'editor' }],
      [
        { model: 'm', server: { path: '/x' } },
        { path: '/x' },
        { slmLsp: { model: 'n', trace: { server: 'verbose' } }, editor: { tabSize: 4 } },
        { tabSize: 2 },
      ],
    );
    assert.deepEqual(answers, [
      { model: 'm' },
      { path: '/x' },
      { slmLsp: { model: 'n' }, editor: { tabSize: 4 } },
      { tabSize: 2 },
    ]);
  });
});

describe('launchSettings and resolveCli', () => {
  it('reads server.path and server.args', () => {
    assert.deepEqual(launchSettings({ server: { path: ' /opt/slm-lsp ', args: ['serve', 3, '--x'] } }), {
      path: '/opt/slm-lsp',
      args: ['serve', '--x'],
    });
    assert.deepEqual(launchSettings(defaultSection()), { path: '', args: [] });
  });
  it('prefers the setting, then PATH, then the Python environment, then python -m', () => {
    const all = { configuredPath: '/a', onPath: '/b', inEnvironment: '/c', python: 'python3' };
    assert.deepEqual(resolveCli(all), { command: '/a', args: [] });
    assert.deepEqual(resolveCli({ ...all, configuredPath: '' }), { command: '/b', args: [] });
    assert.deepEqual(resolveCli({ ...all, configuredPath: '', onPath: undefined }), { command: '/c', args: [] });
    assert.deepEqual(resolveCli({ configuredPath: '', python: 'python3' }), {
      command: 'python3',
      args: ['-m', 'slm_lsp'],
    });
  });
  it('appends arguments after the base command', () => {
    const cli = resolveCli({ configuredPath: '', python: 'python3' });
    assert.deepEqual(withArgs(cli, 'models', 'list', '--json'), {
      command: 'python3',
      args: ['-m', 'slm_lsp', 'models', 'list', '--json'],
    });
  });
});

describe('findOnPath and scriptPath', () => {
  it('finds the first match on PATH', () => {
    const files = new Set(['/usr/bin/slm-lsp', '/home/u/.local/bin/slm-lsp']);
    const isFile = (p: string) => files.has(p);
    assert.equal(findOnPath('slm-lsp', '/home/u/.local/bin:/usr/bin', isFile, 'linux'), '/home/u/.local/bin/slm-lsp');
    assert.equal(findOnPath('slm-lsp', '/opt/bin::/usr/bin', isFile, 'linux'), '/usr/bin/slm-lsp');
    assert.equal(findOnPath('slm-lsp', '/opt/bin', isFile, 'linux'), undefined);
    assert.equal(findOnPath('slm-lsp', undefined, isFile, 'linux'), undefined);
  });
  it('uses .exe and ; on Windows', () => {
    const isFile = (p: string) => p === 'C:\\Py\\Scripts\\slm-lsp.exe';
    assert.equal(findOnPath('slm-lsp', 'C:\\Windows;C:\\Py\\Scripts', isFile, 'win32'), 'C:\\Py\\Scripts\\slm-lsp.exe');
  });
  it('finds console scripts beside the interpreter', () => {
    assert.equal(scriptPath('/w/.venv/bin/python', 'slm-lsp', 'linux'), '/w/.venv/bin/slm-lsp');
    assert.equal(scriptPath('C:\\w\\.venv\\Scripts\\python.exe', 'slm-lsp', 'win32'), 'C:\\w\\.venv\\Scripts\\slm-lsp.exe');
    assert.equal(scriptPath('C:\\Python312\\python.exe', 'slm-lsp', 'win32'), 'C:\\Python312\\Scripts\\slm-lsp.exe');
  });
});
