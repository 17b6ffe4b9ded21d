// How Go's net/http frames a response (header order, Date, Content-Length or chunked, sniffed Content-Type), reproduced on node:http.
import type {IncomingMessage, ServerResponse} from 'node:http';
import {httpDate} from './go-format.js';

export type HeaderList = Array<[string, string]>;

/** Go buffers 2048 bytes before it commits to chunked encoding. */
const chunkingThreshold = 2048;

const htmlSignatures = ['<!DOCTYPE HTML', '<HTML', '<HEAD', '<SCRIPT', '<IFRAME', '<H1', '<DIV', '<FONT', '<TABLE', '<A', '<STYLE', '<TITLE', '<B', '<BODY', '<BR', '<P', '<!--'];

/** net/http's DetectContentType, for the kinds of bodies the init writes. */
export function sniffContentType(body: Buffer): string {
	const head = body.subarray(0, 512);
	let start = 0;
	while (start < head.length && [0x09, 0x0a, 0x0c, 0x0d, 0x20].includes(head[start]!)) {
		start++;
	}

	const text = head.subarray(start).toString('latin1').toUpperCase();
	for (const signature of htmlSignatures) {
		const next = text.charCodeAt(signature.length);
		if (text.startsWith(signature) && (next === 0x20 || next === 0x3e)) {
			return 'text/html; charset=utf-8';
		}
	}

	if (text.startsWith('<?XML')) {
		return 'text/xml; charset=utf-8';
	}

	if (head[0] === 0xfe && head[1] === 0xff) {
		return 'text/plain; charset=utf-16be';
	}

	if (head[0] === 0xff && head[1] === 0xfe) {
		return 'text/plain; charset=utf-16le';
	}

	if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
		return 'text/plain; charset=utf-8';
	}

	const binary = head.some(byte => byte <= 0x08 || byte === 0x0b || (byte >= 0x0e && byte <= 0x1a) || (byte >= 0x1c && byte <= 0x1f));
	return binary ? 'application/octet-stream' : 'text/plain; charset=utf-8';
}

/** Go writes the handler's headers sorted by key (stable for repeated keys). */
function sortedHeaders(headers: HeaderList): HeaderList {
	return [...headers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function clientWantsClose(req: IncomingMessage): boolean {
	const connection = (req.headers.connection ?? '').toLowerCase();
	if (req.httpVersion === '1.0') {
		return !connection.includes('keep-alive');
	}

	return connection.split(',').some(token => token.trim() === 'close');
}

/**
 * Writes the status line and headers as Go would for a response whose first flushed bytes are `firstBytes`:
 * handler headers sorted, then Date, Content-Length (when the whole body is known), a sniffed
 * Content-Type, Connection: close; node adds Transfer-Encoding: chunked last, where Go puts it.
 */
export function writeGoHead(
	req: IncomingMessage,
	res: ServerResponse,
	status: number,
	handlerHeaders: HeaderList,
	firstBytes: Buffer,
	contentLength: number | undefined,
): void {
	const headers = sortedHeaders(handlerHeaders);
	headers.push(['Date', httpDate()]);
	if (contentLength !== undefined) {
		headers.push(['Content-Length', String(contentLength)]);
	}

	if (firstBytes.length > 0 && !handlerHeaders.some(([key]) => key === 'Content-Type')) {
		headers.push(['Content-Type', sniffContentType(firstBytes)]);
	}

	const hasConnection = headers.some(([key]) => key === 'Connection');
	if (!hasConnection && clientWantsClose(req)) {
		headers.push(['Connection', 'close']);
	} else if (!hasConnection) {
		// Go sends no Connection header on a kept-alive HTTP/1.1 response, nor Keep-Alive.
		res.removeHeader('Connection');
	}

	res.sendDate = false;
	res.writeHead(status, headers.flat());
}

/** A complete response: Content-Length when the body fits Go's buffer, chunked when it does not. */
export function sendGo(req: IncomingMessage, res: ServerResponse, status: number, handlerHeaders: HeaderList, body: Buffer | string = ''): void {
	const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
	const isHead = req.method === 'HEAD';
	const chunked = bytes.length > chunkingThreshold;
	const contentLength = chunked || (isHead && bytes.length === 0) ? undefined : bytes.length;
	writeGoHead(req, res, status, handlerHeaders, bytes, contentLength);
	if (isHead) {
		res.end();
	} else if (chunked) {
		res.write(bytes);
		res.end();
	} else {
		res.end(bytes);
	}
}

/** Go's http.Error: text/plain, nosniff, the message and a newline. */
export function sendGoError(req: IncomingMessage, res: ServerResponse, status: number, message: string, handlerHeaders: HeaderList = []): void {
	const headers = handlerHeaders.filter(([key]) => key !== 'Content-Type' && key !== 'Content-Length');
	headers.push(['Content-Type', 'text/plain; charset=utf-8'], ['X-Content-Type-Options', 'nosniff']);
	sendGo(req, res, status, headers, `${message}\n`);
}
