// Drive VS Code (code-server) in headless Chromium as a user would, for test_vscode_ui.py.
//
//   node drive.mjs   with the environment:
//     PUPPETEER_DIR  a directory whose node_modules holds puppeteer-core
//     URL            the workbench URL (code-server with ?folder=...)
//     FILE_NAME      the Python file to open with Quick Open
//     TYPE_LINE      the 1-based line where the test types in a function body
//     TYPED          what it types there
//     DOC_LINE       the 1-based line of the function that gets a docstring
//     SUGGEST_TYPED  typed on a new last line before asking for the suggest widget
//     OUT_DIR        where report.json and the screenshots go
//     WARM           set: only open the workbench (setup_code_server.sh --warm, a first run)
//     SCENARIO       "next-edit": instead of the steps above, rename a parameter (go to
//                    RENAME_AT, "line:column", select the word with Ctrl+D, type RENAME_TO),
//                    then for each next edit shown: Tab to go there, Tab to make it; save
//
// Each step is recorded in report.json (what the page showed); the Python test checks the file
// on disk and the report. The browser is Debian's Chromium, headless, without a sandbox (root).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const env = process.env;
const require = createRequire(join(env.PUPPETEER_DIR, 'package.json'));
const puppeteer = require('puppeteer-core');
const MODEL_MS = Number(env.MODEL_TIMEOUT_MS || 180000);
const report = { steps: [] };
const started = Date.now();

function step(name, data = {}) {
  report.steps.push({ name, ms: Date.now() - started, ...data });
  console.error(`[drive ${((Date.now() - started) / 1000).toFixed(1)}s] ${name}`);
}

function save() {
  writeFileSync(join(env.OUT_DIR, 'report.json'), JSON.stringify(report, null, 2));
}

const browser = await puppeteer.launch({
  executablePath: env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1400,900'],
  defaultViewport: { width: 1400, height: 900 },
  protocolTimeout: 600000,
});
const page = await browser.newPage();
page.on('pageerror', (err) => step('page error', { message: String(err) }));
const key = (combo) => page.keyboard.press(combo);

async function chord(modifier, k) {
  await page.keyboard.down(modifier);
  await page.keyboard.press(k);
  await page.keyboard.up(modifier);
}

/** The text of the editor's rendered lines (non-breaking spaces as spaces). */
async function editorLines() {
  return page.$$eval('.editor-instance .view-lines .view-line', (lines) =>
    lines
      .map((l) => ({ top: parseFloat(l.style.top || '0'), text: l.textContent.replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text));
}

/** Wait until the editor's lines (as `editorLines` reads them) differ from `before`. */
async function linesChangedFrom(before) {
  await page.waitForFunction((was) => {
    const now = [...document.querySelectorAll('.editor-instance .view-lines .view-line')]
      .map((l) => ({ top: parseFloat(l.style.top || '0'), text: l.textContent.replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top).map((l) => l.text);
    return JSON.stringify(now) !== JSON.stringify(was);
  }, { timeout: 10000, polling: 100 }, before);
}

async function statusItem() {
  return page.evaluate(() => {
    const item = [...document.querySelectorAll('.statusbar-item')].find((el) => el.id.includes('slmLsp.status'));
    if (!item) return null;
    return { text: item.textContent.trim(), html: item.innerHTML, aria: item.getAttribute('aria-label') || '' };
  });
}

async function goToLine(line) {
  await chord('Control', 'g');
  await page.waitForSelector('.quick-input-widget:not([style*="display: none"]) input', { timeout: 20000 });
  await page.keyboard.type(String(line));
  await key('Enter');
  await new Promise((r) => setTimeout(r, 300));
}

async function save_file() {
  await chord('Control', 's');
  await page.waitForFunction(() => !document.querySelector('.tab.active.dirty'), { timeout: 30000 });
}

async function openWorkbench() {
  await page.goto(env.URL, { waitUntil: 'domcontentloaded', timeout: 120000 });
  await page.waitForSelector('.monaco-workbench', { timeout: 120000 });
  step('workbench loaded');
}

/** Open the file with Quick Open (Ctrl+P), as a user does. */
async function openFile() {
  await page.waitForSelector('.explorer-folders-view, .pane-body', { timeout: 60000 }).catch(() => {});
  await chord('Control', 'p');
  await page.waitForSelector('.quick-input-widget input', { visible: true, timeout: 30000 });
  await page.keyboard.type(env.FILE_NAME, { delay: 20 });
  await page.waitForFunction(
    (name) => [...document.querySelectorAll('.quick-input-list .monaco-list-row')].some((r) => r.textContent.includes(name)),
    { timeout: 30000 }, env.FILE_NAME);
  await key('Enter');
  await page.waitForSelector('.editor-instance .view-lines', { timeout: 60000 });
}

/** Everything a user does once the workbench is open; the report records each step. */
async function actAsAUser() {
  await openFile();
  step('file open', { lines: await editorLines() });

  // The status bar item shows the model ready.
  await page.waitForFunction(() => {
    const item = [...document.querySelectorAll('.statusbar-item')].find((el) => el.id.includes('slmLsp.status'));
    return item && item.innerHTML.includes('codicon-sparkle');
  }, { timeout: MODEL_MS, polling: 250 }).catch(() => {});
  report.status = await statusItem();
  step('status', { status: report.status });
  if (!report.status || !report.status.html.includes('codicon-sparkle')) {
    throw new Error(`the status bar item does not show the model ready: ${JSON.stringify(report.status)}`);
  }

  // Type in the function body; the ghost text comes; Tab accepts it.
  await goToLine(Number(env.TYPE_LINE));
  await key('End');
  await page.keyboard.type(env.TYPED, { delay: 60 });
  step('typed', { lines: await editorLines() });
  await page.waitForSelector('.ghost-text-decoration, .ghost-text', { timeout: MODEL_MS, polling: 200 });
  await new Promise((r) => setTimeout(r, 500)); // let the multi-line part render
  report.ghost = await page.evaluate(() => ({
    inline: [...document.querySelectorAll('.ghost-text-decoration')].map((e) => e.textContent.replace(/\u00a0/g, ' ')),
    lines: [...document.querySelectorAll('.ghost-text .view-line')].map((e) => e.textContent.replace(/\u00a0/g, ' ')),
  }));
  step('ghost text', { ghost: report.ghost });
  await page.screenshot({ path: join(env.OUT_DIR, 'ghost-text.png') });
  const beforeTab = await editorLines();
  await key('Tab');
  await page.waitForFunction(() => !document.querySelector('.ghost-text-decoration, .ghost-text'), { timeout: 10000 });
  await new Promise((r) => setTimeout(r, 300));
  report.afterTab = await editorLines();
  report.acceptedChanged = JSON.stringify(beforeTab) !== JSON.stringify(report.afterTab);
  step('accepted with Tab', { lines: report.afterTab });
  await key('Escape');
  await save_file();
  step('saved after the completion');

  // "Generate docstring" from the quick-fix menu (Ctrl+.), on the function's `def` line.
  await goToLine(Number(env.DOC_LINE));
  await key('Home');
  const beforeAction = await editorLines();
  await chord('Control', '.');
  await page.waitForSelector('.action-widget .monaco-list-row', { visible: true, timeout: 60000 });
  report.actionMenu = await page.$$eval('.action-widget .monaco-list-row', (rows) => rows.map((r) => r.textContent.trim()));
  step('quick-fix menu', { items: report.actionMenu });
  await page.screenshot({ path: join(env.OUT_DIR, 'quick-fix-menu.png') });
  const rows = await page.$$('.action-widget .monaco-list-row.action');
  let chosen = false;
  for (const row of rows) {
    const text = await row.evaluate((r) => r.textContent);
    if (/generate docstring/i.test(text)) {
      await row.click();
      chosen = true;
      break;
    }
  }
  report.actionChosen = chosen;
  if (chosen) {
    await page.waitForFunction(
      (before) => {
        const now = [...document.querySelectorAll('.editor-instance .view-lines .view-line')].map((l) => l.textContent);
        return now.join('\n').replace(/\u00a0/g, ' ') !== before.join('\n');
      },
      { timeout: MODEL_MS, polling: 250 }, beforeAction);
    await new Promise((r) => setTimeout(r, 500));
    report.afterAction = await editorLines();
    step('docstring applied', { lines: report.afterAction });
    await save_file();
    step('saved after the action');
  }

  // The suggest widget (classic completion): after a partly typed word, Ctrl+Space lists our
  // item, filtered by the word; choosing it replaces the word with the whole completion.
  await chord('Control', 'End');
  await key('Enter');
  await page.keyboard.type(env.SUGGEST_TYPED, { delay: 60 });
  await key('Escape'); // no ghost text: the widget alone
  await chord('Control', ' ');
  const ours = '.suggest-widget .monaco-list-row .codicon-symbol-snippet';
  // Our item, or the widget's own word that the answer was empty (then fail at once).
  await page.waitForFunction((selector) => {
    const message = document.querySelector('.suggest-widget .message');
    return !!document.querySelector(selector) ||
      !!(message && message.offsetParent !== null && /no suggestions/i.test(message.textContent));
  }, { timeout: MODEL_MS, polling: 250 }, ours);
  report.suggestRows = await page.$$eval('.suggest-widget .monaco-list-row', (rows) =>
    rows.map((r) => ({ label: r.querySelector('.label-name')?.textContent.replace(/\u00a0/g, ' ') || '',
      snippet: !!r.querySelector('.codicon-symbol-snippet') })));
  step('suggest widget', { rows: report.suggestRows });
  await page.screenshot({ path: join(env.OUT_DIR, 'suggest-widget.png') });
  if (!(await page.$(ours))) {
    throw new Error('the suggest widget says "No suggestions.": the server answered nothing');
  }
  const row = await page.$(ours);
  await row.click();
  await page.waitForFunction(() => !document.querySelector('.suggest-widget.visible'), { timeout: 10000 });
  await new Promise((r) => setTimeout(r, 300));
  report.afterSuggest = await editorLines();
  step('suggestion inserted', { lines: report.afterSuggest });
  report.status_end = await statusItem();
  await page.screenshot({ path: join(env.OUT_DIR, 'vscode.png') });
}

/** The cursor as the status bar shows it ("Ln 3, Col 15"). */
async function cursorText() {
  return page.evaluate(() => {
    const item = document.getElementById('status.editor.selection');
    return item ? item.textContent.trim() : '';
  });
}

/**
 * What the next edit decorations show in the editor: the texts the decorations put before or
 * after text (VS Code renders `after.contentText` as a CSS ::after content), and whether a
 * gutter marker (our SVG) is drawn.
 */
async function nextEditShown() {
  return page.evaluate(() => {
    const texts = [];
    for (const el of document.querySelectorAll('.editor-instance .view-lines span')) {
      for (const pseudo of ['::before', '::after']) {
        const content = getComputedStyle(el, pseudo).content;
        if (content && content !== 'none' && content !== 'normal' && content !== '""') {
          texts.push(content.replace(/^"|"$/g, '').replace(/\\"/g, '"').replace(/\u00a0/g, ' '));
        }
      }
    }
    // The glyph margin's decorations (VS Code 1.100 draws them as widgets in the margin).
    const gutter = [...document.querySelectorAll('.editor-instance .margin *')]
      .some((el) => /svg/.test(getComputedStyle(el).backgroundImage));
    return { texts, gutter };
  });
}

async function waitForNextEdit(timeout) {
  await page.waitForFunction(() => {
    for (const el of document.querySelectorAll('.editor-instance .view-lines span')) {
      if (/Tab/.test(getComputedStyle(el, '::after').content)) return true;
    }
    return false;
  }, { timeout, polling: 200 });
}

/** Rename a parameter, then take the next edits with Tab, Tab. */
async function nextEdits() {
  await openFile();
  await page.waitForFunction(() => {
    const item = [...document.querySelectorAll('.statusbar-item')].find((el) => el.id.includes('slmLsp.status'));
    return item && item.innerHTML.includes('codicon-sparkle');
  }, { timeout: MODEL_MS, polling: 250 });
  report.status = await statusItem();
  step('file open, server ready', { lines: await editorLines() });

  await goToLine(env.RENAME_AT);
  await chord('Control', 'd'); // select the word at the cursor
  await page.keyboard.type(env.RENAME_TO, { delay: 80 });
  report.renamed = await editorLines();
  step('renamed', { lines: report.renamed, cursor: await cursorText() });
  report.nextEdits = [];
  for (let i = 0; i < 5; i++) {
    try {
      await waitForNextEdit(i === 0 ? MODEL_MS : 15000);
    } catch {
      break; // nothing more is proposed
    }
    const entry = { shown: await nextEditShown(), cursorBefore: await cursorText() };
    if (i === 0) {
      await page.screenshot({ path: join(env.OUT_DIR, 'next-edit.png') });
      // Escape dismisses it; the palette's "Suggest the Next Edit" asks again.
      await key('Escape');
      await page.waitForFunction(() => ![...document.querySelectorAll('.editor-instance .view-lines span')]
        .some((el) => /Tab/.test(getComputedStyle(el, '::after').content)), { timeout: 10000, polling: 100 });
      report.afterEscape = await nextEditShown();
      await page.keyboard.down('Control');
      await page.keyboard.down('Shift');
      await page.keyboard.press('p');
      await page.keyboard.up('Shift');
      await page.keyboard.up('Control');
      await page.waitForSelector('.quick-input-widget input', { visible: true, timeout: 30000 });
      await page.keyboard.type('slm-lsp: Suggest the Next Edit', { delay: 20 });
      await page.waitForFunction(
        () => [...document.querySelectorAll('.quick-input-list .monaco-list-row')].some((r) => r.textContent.includes('Suggest the Next Edit')),
        { timeout: 30000 });
      await key('Enter');
      await waitForNextEdit(30000);
      step('dismissed with Escape, asked again from the palette');
      entry.cursorBefore = await cursorText();
    }
    const linesBefore = await editorLines();
    await key('Tab');
    await page.waitForFunction((before) => {
      const item = document.getElementById('status.editor.selection');
      return item && item.textContent.trim() !== before;
    }, { timeout: 10000, polling: 100 }, entry.cursorBefore);
    entry.cursorAfterJump = await cursorText();
    entry.linesAfterJump = await editorLines();
    entry.changedByJump = JSON.stringify(linesBefore) !== JSON.stringify(entry.linesAfterJump);
    entry.shownAfterJump = await nextEditShown();
    if (i === 0) {
      await page.screenshot({ path: join(env.OUT_DIR, 'next-edit-jumped.png') });
    }
    await key('Tab');
    await linesChangedFrom(entry.linesAfterJump);
    entry.linesAfterAccept = await editorLines();
    entry.cursorAfterAccept = await cursorText();
    report.nextEdits.push(entry);
    step(`next edit ${i + 1} made`, entry);
  }
  report.endShown = await nextEditShown();
  // Nothing shown: Tab indents as usual (then undone, so the saved file is the renamed one).
  await goToLine(5);
  const beforeIndent = await editorLines();
  await key('Tab');
  await linesChangedFrom(beforeIndent);
  report.indented = await editorLines();
  await chord('Control', 'z');
  await new Promise((r) => setTimeout(r, 300));
  step('Tab indents', { lines: report.indented });
  await save_file();
  step('saved');
  await page.screenshot({ path: join(env.OUT_DIR, 'vscode.png') });
}

try {
  await openWorkbench();
  if (env.SCENARIO === 'next-edit') {
    await nextEdits();
  } else if (!env.WARM) {
    await actAsAUser();
  }
  report.ok = true;
} catch (err) {
  report.error = String(err && err.stack ? err.stack : err);
  step('failed', { error: report.error });
  await page.screenshot({ path: join(env.OUT_DIR, 'failure.png') }).catch(() => {});
  process.exitCode = 1;
} finally {
  report.totalMs = Date.now() - started;
  save();
  await browser.close();
}
