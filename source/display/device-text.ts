// Device text made fit for a screen: sanitised by core (no escape sequences), tabs expanded, one line; and what a
// device's failure and title read as on every screen.
import type {DeviceSnapshot} from '../core/fleet-store.js';
import {sanitizeForTerminal} from '../core/sanitize-terminal.js';
import {expandTabs} from './columns.js';

export function clean(text: string | null | undefined): string {
	if (!text) {
		return '';
	}

	return expandTabs(sanitizeForTerminal(text));
}

/** The device's own words for a failure, without the leading "name: ". */
export function failureCause(device: Pick<DeviceSnapshot, 'error' | 'name' | 'target'>): string | null {
	if (device.error === null) {
		return null;
	}

	// The message names the device as its target is called; the fleet may have suffixed that name (casa#2).
	const prefix = [`${device.name}: `, `${device.target.name}: `].find(candidate => device.error?.startsWith(candidate));
	return clean(prefix ? device.error.slice(prefix.length) : device.error);
}

/** The name a person knows the device by: the hostname it reports, else the name it was given. */
export function deviceLabel(device: Pick<DeviceSnapshot, 'name' | 'overview'>): string {
	return clean(device.overview?.hostname) || clean(device.name);
}
