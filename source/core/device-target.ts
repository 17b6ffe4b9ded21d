// How to reach one device: its name, base URL, credentials and pinned certificate, wherever it was found.
import {DeviceError} from './device-error.js';

export type DeviceSource = 'gok' | 'saved' | 'url' | 'demo';

export type DeviceTarget = {
	/** What the user calls it: the gok instance name, the saved name, or host[:port] for a URL. */
	name: string;
	/** Base URL without credentials and without a trailing slash: "http://10.0.0.23" or "https://casa:443". */
	url: string;
	/** The HTTP Basic password (user is always "gokrazy"); may hold any characters. */
	password?: string;
	/** PEM of the device's self-signed certificate: trusted exactly, for this device only. */
	certificate?: string;
	/** Where the certificate came from, for error messages. */
	certificatePath?: string;
	/** breakglass SSH port (22 unless configured). */
	sshPort?: number;
	/** The node exporter's metrics URL when it is not `http://HOST:9100/metrics` (gok flags or `devices add`). */
	nodeExporterUrl?: string;
	source: DeviceSource;
	/** The gok instance folder or config file this came from, when it came from one. */
	origin?: string;
	/**
	 * Every source of a device known twice (a saved device and a gok instance at the same address), merged into this
	 * one target: `name` is the saved name, the rest is the gok instance's (its updates build from it).
	 */
	sources?: ReadonlyArray<{readonly source: DeviceSource; readonly name: string; readonly origin?: string}>;
};

/** `host:port` of a base URL, lowercased, the scheme's default port filled in: two URLs of one device compare equal. */
export function addressOf(url: string): string | undefined {
	try {
		const parsed = new URL(url);
		const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
		return `${parsed.hostname.toLowerCase()}:${port}`;
	} catch {
		return undefined;
	}
}

/**
 * Two base URLs that reach the same device: the same host and port, or the same host on the default ports of their
 * schemes (`http://casa` and `https://casa`, a gok instance switched to TLS). Other ports are other devices (the demo
 * serves many on 127.0.0.1).
 */
export function sameDevice(a: string, b: string): boolean {
	const first = addressOf(a);
	const second = addressOf(b);
	if (first === undefined || second === undefined) {
		return false;
	}

	if (first === second) {
		return true;
	}

	const [hostA, portA] = [first.slice(0, first.lastIndexOf(':')), first.slice(first.lastIndexOf(':') + 1)];
	const [hostB, portB] = [second.slice(0, second.lastIndexOf(':')), second.slice(second.lastIndexOf(':') + 1)];
	const isDefault = (port: string) => port === '80' || port === '443';
	return hostA === hostB && isDefault(portA) && isDefault(portB);
}

/** Where a device comes from, in words: "gok instance", "saved device", "saved device withne + gok instance casa". */
export function sourceText(target: Pick<DeviceTarget, 'source' | 'sources' | 'name'>): string {
	const word = {gok: 'gok instance', saved: 'saved device', url: 'URL', demo: 'demo'} as const;
	if (target.sources && target.sources.length > 1) {
		return target.sources.map(source => `${word[source.source]} ${source.name}`).join(' + ');
	}

	return word[target.source];
}

export const gokrazyUser = 'gokrazy';

/**
 * Parses `http[s]://[gokrazy:PASSWORD@]host[:port]` (with the WHATWG URL parser) into a target. The password is
 * percent-decoded, so any character can be given as %XX. Throws a usage DeviceError for anything that is not such a
 * URL, naming it by redactUrl: a password with "#", "/" or "?" in it ends the URL's authority early, so the parser
 * fails or sees another host, and the text must not be repeated as it was given.
 */
export function targetFromUrl(text: string, name?: string): DeviceTarget {
	const shown = redactUrl(text);
	let parsed: URL;
	try {
		parsed = new URL(text);
	} catch {
		throw new DeviceError(shown, 'usage', 'not a device URL (expected http[s]://[gokrazy:PASSWORD@]host[:port]; write "#", "/", "?" or "@" in a password as %23, %2F, %3F, %40)');
	}

	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw new DeviceError(shown, 'usage', `unsupported scheme ${parsed.protocol} (expected http or https)`);
	}

	if (!parsed.hostname) {
		throw new DeviceError(shown, 'usage', 'the URL has no host');
	}

	let password: string | undefined;
	try {
		password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
	} catch {
		throw new DeviceError(shown, 'usage', 'the password in the URL has a "%" that is not a %XX escape (write "%" as %25)');
	}

	const hostPort = parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
	return {
		name: name ?? hostPort,
		url: `${parsed.protocol}//${parsed.host}`,
		password,
		source: 'url',
	};
}

/** The URL to show to a person: never the password. */
export function displayUrl(target: DeviceTarget): string {
	return target.url;
}

/**
 * URL text fit for a message: `http://gokrazy:secret@host` → `http://gokrazy:***@host`. Everything up to the last "@"
 * after the "://" (or from the start, without one: "gokrazy:secret@host" typed without a scheme) counts as
 * credentials, since a password may hold "@", "#", "/" or "?", which end a URL's authority early: no part of a
 * password survives whatever was typed; only the user name "gokrazy" is kept.
 */
export function redactUrl(text: string): string {
	const marker = text.indexOf('://');
	const prefix = marker === -1 ? '' : text.slice(0, marker + 3);
	const rest = text.slice(prefix.length);
	const at = rest.lastIndexOf('@');
	if (at === -1) {
		return text;
	}

	const userinfo = rest.slice(0, at);
	const user = userinfo.split(':', 1)[0]!;
	const hidden = userinfo === gokrazyUser ? gokrazyUser : (user === gokrazyUser ? `${gokrazyUser}:***` : '***');
	return `${prefix}${hidden}${rest.slice(at)}`;
}

/** Every URL inside a message (a flag's value quoted back, say) redacted like redactUrl; a linear scan. */
export function redactUrlsIn(text: string): string {
	let out = '';
	let done = 0;
	let position = text.indexOf('://');
	while (position !== -1) {
		let start = position;
		while (start > done && /[a-z\d+.:-]/i.test(text[start - 1]!)) {
			start--;
		}

		// A quoted URL ends at its closing quote (a password may hold spaces), an unquoted one at a space or quote.
		const quote = start > 0 && /["'`]/.test(text[start - 1]!) ? text[start - 1]! : undefined;
		let end = position + 3;
		while (end < text.length && (quote === undefined ? !/[\s"'`]/.test(text[end]!) : text[end] !== quote)) {
			end++;
		}

		out += text.slice(done, start) + redactUrl(text.slice(start, end));
		done = end;
		position = text.indexOf('://', end);
	}

	return out + text.slice(done);
}

/** Looks like a URL rather than a name. */
export function isUrlLike(text: string): boolean {
	return /^[a-z][a-z\d+.-]*:\/\//i.test(text);
}
