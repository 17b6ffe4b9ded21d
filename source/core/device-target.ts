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
};

export const gokrazyUser = 'gokrazy';

/**
 * Parses `http[s]://[gokrazy:PASSWORD@]host[:port]` into a target. The password is percent-decoded, so any
 * character can be given as %XX. Throws a usage DeviceError for anything that is not such a URL.
 */
export function targetFromUrl(text: string, name?: string): DeviceTarget {
	let parsed: URL;
	try {
		parsed = new URL(text);
	} catch {
		throw new DeviceError(text, 'usage', 'not a device URL (expected http[s]://[gokrazy:PASSWORD@]host[:port])');
	}

	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		throw new DeviceError(text, 'usage', `unsupported scheme ${parsed.protocol} (expected http or https)`);
	}

	if (!parsed.hostname) {
		throw new DeviceError(text, 'usage', 'the URL has no host');
	}

	const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
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

/** Looks like a URL rather than a name. */
export function isUrlLike(text: string): boolean {
	return /^[a-z][a-z\d+.-]*:\/\//i.test(text);
}
