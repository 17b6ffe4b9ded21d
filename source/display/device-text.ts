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

/**
 * The one name a device is shown, confirmed and typed under: the name it is configured as (gok instance, saved
 * device, host of a URL). The hostname it reports is shown beside it (deviceHostname) when it differs.
 */
export function deviceLabel(device: Pick<DeviceSnapshot, 'name'>): string {
	return clean(device.name);
}

/** The hostname the device reports, when it differs from its name ('' otherwise). */
export function deviceHostname(device: Pick<DeviceSnapshot, 'name' | 'overview'>): string {
	const hostname = clean(device.overview?.hostname);
	return hostname === '' || hostname === clean(device.name) ? '' : hostname;
}

/** `demo (gokrazy-demo)`: the name, with the hostname beside it when different (titles, dialogs). */
export function deviceTitle(device: Pick<DeviceSnapshot, 'name' | 'overview'>): string {
	const hostname = deviceHostname(device);
	return hostname ? `${deviceLabel(device)} (${hostname})` : deviceLabel(device);
}
