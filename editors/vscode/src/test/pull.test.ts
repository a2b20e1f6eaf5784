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
    assert.equal(p.feed('1'), undefined, 'a partial line is held back');
    assert.deepEqual(p.feed('0%\r'), { increment: 10, percentage: 10 });
    assert.deepEqual(p.feed('40%\n55%\n'), { increment: 45, percentage: 55 });
    assert.deepEqual(p.feed('Verifying\n'), { increment: 0, percentage: 55, message: 'Verifying' });
    assert.equal(p.feed('30%\n'), undefined, 'progress never goes back');
    assert.deepEqual(p.feed('100%'), undefined);
    assert.deepEqual(p.end(), { increment: 45, percentage: 100 });
    assert.equal(p.lastMessage(), 'Verifying');
  });
  it('takes the final message from stdout, else from stderr', () => {
    const p = new PullProgress();
    p.feed('Done: /m/x.gguf\n100%\n');
    assert.equal(finalMessage('', p), 'Done: /m/x.gguf');
    assert.equal(finalMessage('first\nPulled x\n\n', p), 'Pulled x');
  });
});

describe('parseModelList', () => {
  it('reads a list of objects', () => {
    const models = parseModelList(
      JSON.stringify([
        { id: 'a', params: '1.3B', description: 'Model A', downloaded: true },
        { name: 'b', size: 98_000_000 },
      ]),
    );
    assert.deepEqual(models, [
      { id: 'a', description: '1.3B, downloaded', detail: 'Model A' },
      { id: 'b', description: '98 MB' },
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
    assert.deepEqual(models.map((m) => m.id), ['qwen2.5-coder-0.5b', 'smollm2-135m']);
    assert.equal(models[1].description, '135M, 98 MB, downloaded');
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
    assert.deepEqual(outcome, { ok: true, cancelled: false, message: 'Pulled good to /models/good.gguf' });
    assert.equal(steps.reduce((sum, s) => sum + s.increment, 0), 100);
    assert.ok(steps.some((s) => s.message === 'Checking sha256'));
  });
  it('reports a failed pull with its error line', async () => {
    const outcome = await pullModel(fakeCli, 'nope', () => undefined);
    assert.deepEqual(outcome, { ok: false, cancelled: false, message: 'error: unknown model nope' });
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
