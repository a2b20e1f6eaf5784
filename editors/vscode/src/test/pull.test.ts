import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PullProgress, finalMessage, listModels, parseModelList, parsePercentage, pullModel } from '../pull';

const fakeCli = { command: process.execPath, args: [path.join(__dirname, 'fake-cli.js')] };

describe('parsePercentage', () => {
  it('reads the last percentage of a line', () => {
    assert.equal(parsePercentage('45%'), 45);
    assert.equal(parsePercentage(' 7.5% 12 MB/98 MB'), 7.5);
    assert.equal(parsePercentage('10% ... 20 %'), 20);
  });
  it('clamps to 100 and ignores lines without one', () => {
    assert.equal(parsePercentage('999%'), 100);
    assert.equal(parsePercentage('Checking sha256'), undefined);
    assert.equal(parsePercentage(''), undefined);
  });
});

describe('PullProgress', () => {
  it('turns percentages into increments and keeps whole lines only', () => {
    const p = new PullProgress();
    assert.equal(p.feed('x: 1'), undefined, 'a partial line is held back');
    assert.deepEqual(p.feed('0%\r'), { increment: 10, percentage: 10, message: 'x: 10%' });
    assert.deepEqual(p.feed('40%\n55%\n'), { increment: 45, percentage: 55, message: '55%' });
    assert.deepEqual(p.feed('Verifying\n'), { increment: 0, percentage: 55, message: 'Verifying' });
    assert.deepEqual(p.feed('30%\n'), { increment: 0, percentage: 55, message: '30%' }, 'progress never goes back');
    assert.equal(p.feed('100%'), undefined);
    assert.deepEqual(p.end(), { increment: 45, percentage: 100, message: '100%' });
    assert.equal(p.lastMessage(), 'Verifying');
  });
  it('takes the final message from stderr, else from stdout', () => {
    const p = new PullProgress();
    assert.equal(finalMessage('/m/x.gguf\n\n', p), '/m/x.gguf');
    p.feed('x is at /m/x.gguf (98 MB)\n100%\n');
    assert.equal(finalMessage('/m/x.gguf\n', p), 'x is at /m/x.gguf (98 MB)');
  });
});

describe('parseModelList', () => {
  it('reads the models of `slm-lsp models list --json`, the recommended one first', () => {
    const models = parseModelList(
      JSON.stringify({
        models_dir: '/m',
        recommended: 'b',
        models: [
          { id: 'a', params: '1.3B', size: 0, present: true, recommended: false, description: 'Model A' },
          { id: 'b', params: '0.5B', size: 98_000_000, present: false, recommended: true, description: 'Model B' },
        ],
      }),
    );
    assert.deepEqual(models, [
      { id: 'b', description: '0.5B, 98 MB, recommended for this machine', detail: 'Model B' },
      { id: 'a', description: '1.3B, downloaded', detail: 'Model A' },
    ]);
  });
  it('reads a list of ids, a models array and an object keyed by id', () => {
    assert.deepEqual(parseModelList('["a","b"]').map((m) => m.id), ['a', 'b']);
    assert.deepEqual(parseModelList('{"models":[{"id":"c"}]}').map((m) => m.id), ['c']);
    assert.deepEqual(parseModelList('{"models":{"d":{"params":"3B"}}}'), [{ id: 'd', description: '3B' }]);
    assert.deepEqual(parseModelList('{"e":{},"f":{}}').map((m) => m.id), ['e', 'f']);
  });
  it('rejects what is not a model list', () => {
    assert.throws(() => parseModelList('qwen2.5-coder-0.5b\n'));
    assert.throws(() => parseModelList('[]'));
    assert.throws(() => parseModelList('42'));
  });
});

describe('listModels and pullModel with a command line', () => {
  it('lists the models the command prints', async () => {
    const models = await listModels(fakeCli);
    assert.deepEqual(models.map((m) => m.id), ['qwen2.5-coder-0.5b', 'deepseek-coder-1.3b-base', 'smollm2-135m']);
    assert.equal(models[2].description, '135M, 98 MB, downloaded');
  });
  it('fails with the last stderr line when listing fails', async () => {
    process.env.FAKE_LIST = 'broken';
    try {
      await assert.rejects(listModels(fakeCli), /models\.toml is unreadable/);
    } finally {
      delete process.env.FAKE_LIST;
    }
  });
  it('fails when the command does not exist', async () => {
    await assert.rejects(listModels({ command: path.join(__dirname, 'no-such-slm-lsp'), args: [] }), /ENOENT/);
  });
  it('reports progress from stderr and ends with the final message', async () => {
    const steps: Array<{ increment: number; message?: string }> = [];
    const outcome = await pullModel(fakeCli, 'good', (s) => steps.push(s));
    assert.deepEqual(outcome, { ok: true, cancelled: false, message: 'good is at /models/good.gguf (10 MB)' });
    // How stderr is cut into chunks varies; the increments always add up to the last percentage.
    assert.equal(steps.reduce((sum, s) => sum + s.increment, 0), 100);
    assert.ok(steps.every((s) => s.increment >= 0));
    assert.ok(steps.some((s) => s.message === 'pulling good: 10 MB of 10 MB 100%'));
    assert.equal(steps[steps.length - 1].message, 'good is at /models/good.gguf (10 MB)');
  });
  it('reports a failed pull with its error line', async () => {
    const outcome = await pullModel(fakeCli, 'nope', () => undefined);
    assert.deepEqual(outcome, { ok: false, cancelled: false, message: 'slm-lsp: error: unknown model nope' });
  });
  it('kills the pull when cancelled', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const outcome = await pullModel(fakeCli, 'slow', (s) => {
      if (s.increment > 0) {
        abort.abort();
      }
    }, abort.signal);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.cancelled, true);
    assert.ok(Date.now() - started < 10_000, 'the process was killed, not waited for');
  });
});
