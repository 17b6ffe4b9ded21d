// Go standard-library behaviour the demo device must reproduce byte for byte: quoting, integer and base64 parsing, time and duration formats, escapers.

/** Go's utf8.DecodeRune: the code point and its length, or -1 and 1 for an invalid byte. */
function decodeRune(bytes: Uint8Array, index: number): {rune: number; size: number} {
	const b0 = bytes[index]!;
	if (b0 < 0x80) {
		return {rune: b0, size: 1};
	}

	const continuation = (offset: number, low = 0x80, high = 0xbf) => {
		const b = bytes[index + offset];
		return b !== undefined && b >= low && b <= high ? b : -1;
	};

	if (b0 >= 0xc2 && b0 <= 0xdf) {
		const b1 = continuation(1);
		return b1 === -1 ? {rune: -1, size: 1} : {rune: ((b0 & 0x1f) << 6) | (b1 & 0x3f), size: 2};
	}

	if (b0 >= 0xe0 && b0 <= 0xef) {
		const b1 = continuation(1, b0 === 0xe0 ? 0xa0 : 0x80, b0 === 0xed ? 0x9f : 0xbf);
		const b2 = b1 === -1 ? -1 : continuation(2);
		return b2 === -1 ? {rune: -1, size: 1} : {rune: ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f), size: 3};
	}

	if (b0 >= 0xf0 && b0 <= 0xf4) {
		const b1 = continuation(1, b0 === 0xf0 ? 0x90 : 0x80, b0 === 0xf4 ? 0x8f : 0xbf);
		const b2 = b1 === -1 ? -1 : continuation(2);
		const b3 = b2 === -1 ? -1 : continuation(3);
		return b3 === -1
			? {rune: -1, size: 1}
			: {rune: ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f), size: 4};
	}

	return {rune: -1, size: 1};
}

const printable = /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u;

function hex(value: number, width: number): string {
	return value.toString(16).padStart(width, '0');
}

/** Go's strconv.Quote (and %q for a string): printable runes kept, the rest escaped. */
export function goQuote(input: string | Uint8Array): string {
	const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
	let out = '"';
	for (let index = 0; index < bytes.length; ) {
		const {rune, size} = decodeRune(bytes, index);
		if (rune === -1) {
			out += `\\x${hex(bytes[index]!, 2)}`;
			index += 1;
			continue;
		}

		index += size;
		if (rune === 0x22 || rune === 0x5c) {
			out += `\\${String.fromCharCode(rune)}`;
		} else if (rune === 0x20 || (rune > 0x20 && rune !== 0x7f && printable.test(String.fromCodePoint(rune)))) {
			out += String.fromCodePoint(rune);
		} else {
			const named: Record<number, string> = {7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r'};
			if (named[rune] !== undefined) {
				out += named[rune];
			} else if (rune < 0x20 || rune === 0x7f) {
				out += `\\x${hex(rune, 2)}`;
			} else if (rune < 0x10000) {
				out += `\\u${hex(rune, 4)}`;
			} else {
				out += `\\U${hex(rune, 8)}`;
			}
		}
	}

	return `${out}"`;
}

/** Go's %q of a []string: `["/user/x" "-flag"]`. */
export function goQuoteList(items: readonly string[]): string {
	return `[${items.map(item => goQuote(item)).join(' ')}]`;
}

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const base64Values = new Map([...base64Alphabet].map((char, index) => [char.charCodeAt(0), index]));

/**
 * Go's base64.StdEncoding.DecodeString, including where it reports the first illegal byte
 * ("illegal base64 data at input byte N"); \r and \n are skipped as Go does.
 */
export function goBase64Decode(text: string): {ok: true; bytes: Buffer} | {ok: false; errorAt: number} {
	const src = Buffer.from(text, 'latin1');
	const out: number[] = [];
	let si = 0;
	const isNewline = (byte: number | undefined) => byte === 0x0a || byte === 0x0d;
	while (si < src.length) {
		const dbuf = [0, 0, 0, 0];
		let dlen = 4;
		let trailingError: number | undefined;
		for (let j = 0; j < 4; j++) {
			if (si === src.length) {
				if (j === 0) {
					return {ok: true, bytes: Buffer.from(out)};
				}

				// StdEncoding pads, so a short final quantum is always corrupt.
				return {ok: false, errorAt: si - j};
			}

			const byte = src[si]!;
			si++;
			const value = base64Values.get(byte);
			if (value !== undefined) {
				dbuf[j] = value;
				continue;
			}

			if (isNewline(byte)) {
				j--;
				continue;
			}

			if (byte !== 0x3d) {
				return {ok: false, errorAt: si - 1};
			}

			if (j === 0 || j === 1) {
				return {ok: false, errorAt: si - 1};
			}

			if (j === 2) {
				while (si < src.length && isNewline(src[si])) {
					si++;
				}

				if (si === src.length) {
					return {ok: false, errorAt: src.length};
				}

				if (src[si] !== 0x3d) {
					return {ok: false, errorAt: si - 1};
				}

				si++;
			}

			while (si < src.length && isNewline(src[si])) {
				si++;
			}

			if (si < src.length) {
				trailingError = si;
			}

			dlen = j;
			break;
		}

		const value = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
		const decoded = [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
		out.push(...decoded.slice(0, dlen - 1));
		if (trailingError !== undefined) {
			return {ok: false, errorAt: trailingError};
		}
	}

	return {ok: true, bytes: Buffer.from(out)};
}

function underscoreOk(text: string): boolean {
	let saw = '^';
	let index = 0;
	let s = text;
	if (s.length > 0 && (s[0] === '-' || s[0] === '+')) {
		s = s.slice(1);
	}

	let isHex = false;
	if (s.length >= 2 && s[0] === '0' && 'box'.includes(s[1]!.toLowerCase())) {
		index = 2;
		saw = '0';
		isHex = s[1]!.toLowerCase() === 'x';
	}

	for (; index < s.length; index++) {
		const char = s[index]!;
		if ((char >= '0' && char <= '9') || (isHex && char.toLowerCase() >= 'a' && char.toLowerCase() <= 'f')) {
			saw = '0';
			continue;
		}

		if (char === '_') {
			if (saw !== '0') {
				return false;
			}

			saw = '_';
			continue;
		}

		if (saw === '_') {
			return false;
		}

		saw = '!';
	}

	return saw !== '_';
}

/**
 * Go's strconv.ParseInt(text, 0, 32): base prefixes (0x, 0o, 0b, leading 0), underscores, sign.
 * The error is the text Go prints, e.g. `strconv.ParseInt: parsing "abc": invalid syntax`.
 */
export function goParseInt32(text: string): {ok: true; value: number} | {ok: false; error: string} {
	const syntaxError = {ok: false as const, error: `strconv.ParseInt: parsing ${goQuote(Buffer.from(text, 'latin1'))}: invalid syntax`};
	const rangeError = {ok: false as const, error: `strconv.ParseInt: parsing ${goQuote(Buffer.from(text, 'latin1'))}: value out of range`};
	if (text === '') {
		return syntaxError;
	}

	let s = text;
	let negative = false;
	if (s[0] === '+' || s[0] === '-') {
		negative = s[0] === '-';
		s = s.slice(1);
	}

	if (s === '') {
		return syntaxError;
	}

	const unsignedText = s;
	let base = 10;
	if (s[0] === '0') {
		const prefix = s.length >= 3 ? s[1]!.toLowerCase() : '';
		if (prefix === 'b' || prefix === 'o' || prefix === 'x') {
			base = {b: 2, o: 8, x: 16}[prefix];
			s = s.slice(2);
		} else {
			base = 8;
			s = s.slice(1);
		}
	}

	const maxUint32 = 0xffff_ffff;
	let value = 0;
	let underscores = false;
	for (const char of s) {
		const code = char.charCodeAt(0);
		let digit: number;
		if (char === '_') {
			underscores = true;
			continue;
		} else if (code >= 0x30 && code <= 0x39) {
			digit = code - 0x30;
		} else if (char.toLowerCase() >= 'a' && char.toLowerCase() <= 'z' && char.length === 1 && code < 0x80) {
			digit = char.toLowerCase().charCodeAt(0) - 0x61 + 10;
		} else {
			return syntaxError;
		}

		if (digit >= base) {
			return syntaxError;
		}

		value = value * base + digit;
		if (value > maxUint32) {
			return rangeError;
		}
	}

	if (underscores && !underscoreOk(unsignedText)) {
		return syntaxError;
	}

	const cutoff = 2 ** 31;
	if ((!negative && value >= cutoff) || (negative && value > cutoff)) {
		return rangeError;
	}

	return {ok: true, value: negative ? -value : value};
}

/** A point in time with nanoseconds, as Go's time.Time holds it; null is Go's zero time. */
export type GoTime = bigint | null;

const wallBaseNs = BigInt(Date.now()) * 1_000_000n;
const monoBase = process.hrtime.bigint();

/** Now, in nanoseconds since the epoch (wall clock at start plus the monotonic clock since). */
export function nowNs(): bigint {
	return wallBaseNs + (process.hrtime.bigint() - monoBase);
}

function pad(value: number, width = 2): string {
	return String(value).padStart(width, '0');
}

function shifted(ns: bigint, offsetMinutes: number): Date {
	return new Date(Number(ns / 1_000_000n) + offsetMinutes * 60_000);
}

function zoneSuffix(offsetMinutes: number): string {
	if (offsetMinutes === 0) {
		return 'Z';
	}

	const sign = offsetMinutes < 0 ? '-' : '+';
	const abs = Math.abs(offsetMinutes);
	return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Go's time.RFC3339Nano as encoding/json writes it: trailing zeros of the fraction dropped. */
export function formatRfc3339Nano(time: GoTime, offsetMinutes = 0): string {
	if (time === null) {
		return '0001-01-01T00:00:00Z';
	}

	const date = shifted(time, offsetMinutes);
	const fraction = String(Number(((time % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n))
		.padStart(9, '0')
		.replace(/0+$/, '');
	return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(
		date.getUTCMinutes(),
	)}:${pad(date.getUTCSeconds())}${fraction === '' ? '' : `.${fraction}`}${zoneSuffix(offsetMinutes)}`;
}

/** Go's time.RFC3339 (whole seconds), as the packer writes the build timestamp. */
export function formatRfc3339(ms: number, offsetMinutes = 0): string {
	return formatRfc3339Nano(BigInt(Math.floor(ms / 1000)) * 1_000_000_000n, offsetMinutes);
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.UnixDate ("Mon Jan _2 15:04:05 MST 2006"), as the status page shows the start time. */
export function formatUnixDate(time: GoTime, offsetMinutes = 0): string {
	if (time === null) {
		return 'Mon Jan  1 00:00:00 UTC 0001';
	}

	const date = shifted(time, offsetMinutes);
	const zone =
		offsetMinutes === 0
			? 'UTC'
			: `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}${pad(Math.abs(offsetMinutes) % 60)}`;
	return `${weekdays[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${pad(
		date.getUTCHours(),
	)}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${zone} ${date.getUTCFullYear()}`;
}

/** The prefix Go's log package writes with LstdFlags: "2026/11/25 18:28:34 ". */
export function formatLogPrefix(ms: number, offsetMinutes = 0): string {
	const date = new Date(ms + offsetMinutes * 60_000);
	return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(
		date.getUTCMinutes(),
	)}:${pad(date.getUTCSeconds())} `;
}

/** net/http's TimeFormat, for Date and cookie Expires. */
export function httpDate(ms: number = Date.now()): string {
	return new Date(ms).toUTCString();
}

/** Go's time.Duration.String: "1.5s", "2m3.25s", "12.345ms", "0s". */
export function goDurationString(ns: bigint): string {
	if (ns === 0n) {
		return '0s';
	}

	const negative = ns < 0n;
	let u = negative ? -ns : ns;
	const trim = (digits: string) => digits.replace(/0+$/, '');
	let text: string;
	if (u < 1_000_000_000n) {
		const [unit, scale] = u < 1000n ? ['ns', 1n] : u < 1_000_000n ? ['µs', 1000n] : ['ms', 1_000_000n];
		const whole = u / scale;
		const fraction = trim(String(u % scale).padStart(String(scale).length - 1, '0'));
		text = `${whole}${fraction && scale > 1n ? `.${fraction}` : ''}${unit}`;
	} else {
		const hours = u / 3_600_000_000_000n;
		u -= hours * 3_600_000_000_000n;
		const minutes = u / 60_000_000_000n;
		u -= minutes * 60_000_000_000n;
		const seconds = u / 1_000_000_000n;
		const fraction = trim(String(u % 1_000_000_000n).padStart(9, '0'));
		text = `${seconds}${fraction ? `.${fraction}` : ''}s`;
		if (hours > 0n || minutes > 0n) {
			text = `${minutes}m${text}`;
		}

		if (hours > 0n) {
			text = `${hours}h${text}`;
		}
	}

	return negative ? `-${text}` : text;
}

const durationUnits: Record<string, number> = {ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9};

/** Go's time.ParseDuration, in nanoseconds, or Go's error text. */
export function goParseDuration(text: string): {ok: true; ns: number} | {ok: false; error: string} {
	const invalid = {ok: false as const, error: `time: invalid duration ${goQuote(text)}`};
	let s = text;
	let sign = 1;
	if (s[0] === '-' || s[0] === '+') {
		sign = s[0] === '-' ? -1 : 1;
		s = s.slice(1);
	}

	if (s === '0') {
		return {ok: true, ns: 0};
	}

	if (s === '') {
		return invalid;
	}

	let total = 0;
	const part = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
	while (s !== '') {
		const match = part.exec(s);
		if (!match || (match[1] === '' && (match[2] === undefined || match[2] === ''))) {
			return invalid;
		}

		const unit = match[3]!;
		if (unit === '') {
			return {ok: false, error: `time: missing unit in duration ${goQuote(text)}`};
		}

		const scale = durationUnits[unit];
		if (scale === undefined) {
			return {ok: false, error: `time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}`};
		}

		total += Number(`${match[1] || '0'}.${match[2] ?? '0'}`) * scale;
		s = s.slice(match[0].length);
	}

	return {ok: true, ns: Math.round(sign * total)};
}

/** Rounds value·10^digits to an integer the way Go's %f does: exact ties go to the even neighbour. */
function roundHalfEven(value: number, digits: number): number {
	const scaled = value * 10 ** digits;
	const floor = Math.floor(scaled);
	const rest = scaled - floor;
	if (rest === 0.5) {
		return floor % 2 === 0 ? floor : floor + 1;
	}

	return Math.round(scaled);
}

/** Go's fmt %.Nf for the sizes and percentages the overview prints. */
export function goFixed(value: number, digits: number): string {
	const rounded = roundHalfEven(value, digits);
	return digits === 0 ? String(rounded) : (rounded / 10 ** digits).toFixed(digits);
}

/** Go's url.QueryEscape: unreserved bytes kept, space as "+", the rest as %XX. */
export function goQueryEscape(text: string): string {
	let out = '';
	for (const byte of Buffer.from(text, 'utf8')) {
		const char = String.fromCharCode(byte);
		if (/[A-Za-z0-9\-_.~]/.test(char)) {
			out += char;
		} else if (byte === 0x20) {
			out += '+';
		} else {
			out += `%${hex(byte, 2).toUpperCase()}`;
		}
	}

	return out;
}

/** html/template's escaper for a value in a URL query inside an attribute: lower-case %xx for all but unreserved bytes. */
export function templateUrlQueryEscape(text: string): string {
	let out = '';
	for (const byte of Buffer.from(text, 'utf8')) {
		const char = String.fromCharCode(byte);
		out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${hex(byte, 2)}`;
	}

	return out;
}

const templateHtmlEntities: Record<string, string> = {
	'\0': '\uFFFD',
	'"': '&#34;',
	'&': '&amp;',
	"'": '&#39;',
	'+': '&#43;',
	'<': '&lt;',
	'>': '&gt;',
};

/** html/template's escaper for text and quoted attribute values. */
export function templateHtmlEscape(text: string): string {
	return text.replace(/[\0"&'+<>]/g, char => templateHtmlEntities[char]!);
}

const httpHtmlEntities: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;'};

/** net/http's htmlEscape, used in the body of a redirect. */
export function httpHtmlEscape(text: string): string {
	return text.replace(/[&<>"']/g, char => httpHtmlEntities[char]!);
}

const jsStringEscapes: Record<string, string> = {
	'\t': '\\t',
	'\n': '\\n',
	'\f': '\\f',
	'\r': '\\r',
	'"': '\\u0022',
	'&': '\\u0026',
	"'": '\\u0027',
	'+': '\\u002b',
	'/': '\\/',
	'<': '\\u003c',
	'>': '\\u003e',
	'\\': '\\\\',
	'`': '\\u0060',
	'\u2028': '\\u2028',
	'\u2029': '\\u2029',
};

/** html/template's escaper for a value inside a quoted JavaScript string. */
export function templateJsStringEscape(text: string): string {
	return text.replace(/[\0-\x1f"&'+/<>\\`\u2028\u2029]/g, char => jsStringEscapes[char] ?? `\\u${hex(char.charCodeAt(0), 4)}`);
}

/** encoding/json escapes these even though JSON does not require it. */
export function goJsonEscapeHtml(json: string): string {
	return json.replace(/[<>&\u2028\u2029]/g, char => `\\u${hex(char.charCodeAt(0), 4)}`);
}

const signalTexts: Record<string, string> = {
	SIGHUP: 'hangup',
	SIGINT: 'interrupt',
	SIGQUIT: 'quit',
	SIGILL: 'illegal instruction',
	SIGTRAP: 'trace/breakpoint trap',
	SIGABRT: 'aborted',
	SIGBUS: 'bus error',
	SIGFPE: 'floating point exception',
	SIGKILL: 'killed',
	SIGUSR1: 'user defined signal 1',
	SIGSEGV: 'segmentation fault',
	SIGUSR2: 'user defined signal 2',
	SIGPIPE: 'broken pipe',
	SIGALRM: 'alarm clock',
	SIGTERM: 'terminated',
};

/** What Go's exec.ExitError says about a process that ended: "exit status 1", "signal: terminated". */
export function goExitText(code: number | null, signal: NodeJS.Signals | null): string {
	if (signal !== null) {
		return `signal: ${signalTexts[signal] ?? signal}`;
	}

	return `exit status ${code ?? 0}`;
}

/** Go's GOARCH for this machine, as the status page's X-Gokrazy-GOARCH header reports it. */
export function goArch(arch: string = process.arch): string {
	const names: Record<string, string> = {x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle'};
	return names[arch] ?? arch;
}
