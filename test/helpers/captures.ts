// Reads the raw HTTP captures of a real gokrazy init (test/fixtures/gokrazy-real) into status, headers and body.
import {readFileSync, readdirSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import path from 'node:path';

export const capturesDir = fileURLToPath(new URL('../fixtures/gokrazy-real/', import.meta.url));

export type Capture = {
	name: string;
	status: number;
	/** Header names lower-cased; repeated headers joined with "\n". */
	headers: Record<string, string>;
	body: Buffer;
};

export function captureNames(): string[] {
	return readdirSync(capturesDir).filter(name => name.endsWith('.txt') || name.endsWith('.json'));
}

export function readCaptureFile(name: string): Buffer {
	return readFileSync(path.join(capturesDir, name));
}

/** Parses the first HTTP answer in a capture made with `curl -i`. */
export function readCapture(name: string): Capture {
	const raw = readCaptureFile(name);
	const headerEnd = raw.indexOf('\r\n\r\n');
	if (!raw.subarray(0, 5).equals(Buffer.from('HTTP/')) || headerEnd === -1) {
		throw new Error(`${name} is not an HTTP capture`);
	}

	const [statusLine, ...headerLines] = raw.subarray(0, headerEnd).toString('latin1').split('\r\n');
	const status = Number(statusLine!.split(' ')[1]);
	const headers: Record<string, string> = {};
	for (const line of headerLines) {
		const colon = line.indexOf(':');
		const key = line.slice(0, colon).trim().toLowerCase();
		const value = line.slice(colon + 1).trim();
		headers[key] = headers[key] === undefined ? value : `${headers[key]}\n${value}`;
	}

	return {name, status, headers, body: raw.subarray(headerEnd + 4)};
}
