// A stand-in language server for the activation test: speaks LSP over stdio, records every
// message it gets (one JSON per line) in the file named by its first argument, announces itself
// ready through `slmLsp/status`, and asks for the `slmLsp` section once initialized.
import * as fs from 'node:fs';

const record = process.argv[2];
let buffer = Buffer.alloc(0);

function send(message: object): void {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
  process.stdout.write(`Content-Length: ${body.length}\r\n\r\n`);
  process.stdout.write(body);
}

function handle(message: { id?: number | string; method?: string; params?: unknown; result?: unknown }): void {
  fs.appendFileSync(record, JSON.stringify(message) + '\n');
  switch (message.method) {
    case 'initialize':
      send({
        id: message.id,
        result: {
          capabilities: { textDocumentSync: 2, inlineCompletionProvider: true, completionProvider: {} },
          serverInfo: { name: 'fake-slm-lsp', version: '0' },
        },
      });
      break;
    case 'initialized':
      send({ method: 'slmLsp/status', params: { state: 'ready', message: '', percentage: null, model: 'fake-model' } });
      send({ id: 'config-1', method: 'workspace/configuration', params: { items: [{ section: 'slmLsp' }] } });
      break;
    case 'shutdown':
      send({ id: message.id, result: null });
      break;
    case 'exit':
      process.exit(0);
      break;
    default:
      if (message.id !== undefined && message.method !== undefined) {
        send({ id: message.id, result: null });
      }
  }
}

process.stdin.on('data', (chunk: Buffer) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const headerEnd = buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) {
      return;
    }
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, headerEnd).toString())?.[1]);
    if (buffer.length < headerEnd + 4 + length) {
      return;
    }
    const body = buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
    buffer = buffer.subarray(headerEnd + 4 + length);
    handle(JSON.parse(body));
  }
});
