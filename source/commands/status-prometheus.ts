// `status --prometheus URL`: alerts on the device and service rows, devices only Prometheus knows, and its failures as lines.
import {describeError} from '../core/device-error.js';
import {PrometheusClient} from '../core/prometheus/prometheus-client.js';
import {readFleetView, type DeviceAlert, type DiscoveredDevice, type FleetView} from '../core/prometheus/fleet-view.js';
import {sanitizeForTerminal} from '../core/sanitize-terminal.js';

/** What status --json adds per alert. */
export type AlertReport = {name: string; state: 'firing' | 'pending'; severity: string | null; service: string | null; summary: string; activeAt: string | null};

export type PrometheusReport = {
	/** Without credentials. */
	url: string;
	/** Prometheus answered at least in part. */
	answered: boolean;
	/** Why Prometheus could not be read (wholly or in part); null when it answered everything. */
	error: string | null;
	warnings: string[];
	firing: number;
	pending: number;
	/** Devices Prometheus knows that this status did not ask. */
	discovered: Array<{name: string; url: string; hostname: string | null; up: boolean | null; via: DiscoveredDevice['via']; nodeExporterUrl: string | null; alerts: AlertReport[]}>;
	/** Alerts about no device. */
	otherAlerts: AlertReport[];
};

/** The part of a status report this module reads and extends. */
type StatusDevice = {
	name: string;
	url: string;
	alerts?: AlertReport[];
	services: Array<{path: string; alerts?: AlertReport[]}>;
};

const report = (alert: DeviceAlert): AlertReport => ({
	name: alert.name,
	state: alert.state,
	severity: alert.severity,
	service: alert.service,
	summary: alert.summary,
	activeAt: alert.activeAt,
});

export type PrometheusRead = {view: FleetView; error: string | null} | {view: null; error: string};

export async function readPrometheus(url: string, timeoutMs: number | undefined, signal: AbortSignal): Promise<PrometheusRead> {
	let client: PrometheusClient;
	try {
		client = new PrometheusClient(url, {timeoutMs});
	} catch (error) {
		return {view: null, error: describeError(error)};
	}

	try {
		const view = await readFleetView(client, signal);
		return {view, error: view.failures.length > 0 ? view.failures.join('; ') : null};
	} catch (error) {
		return {view: null, error: describeError(error, client.name)};
	} finally {
		client.close();
	}
}

function withoutCredentials(url: string): string {
	try {
		const parsed = new URL(url);
		parsed.username = '';
		parsed.password = '';
		return parsed.href.replace(/\/$/, '');
	} catch {
		return url;
	}
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/** Puts each alert on its device and service rows; returns the report's `prometheus` part with what is left over. */
export function attachPrometheus(devices: StatusDevice[], url: string, read: PrometheusRead, listDiscovered: boolean): PrometheusReport {
	const result: PrometheusReport = {url: withoutCredentials(url), answered: read.view !== null, error: read.error, warnings: read.view?.warnings ?? [], firing: 0, pending: 0, discovered: [], otherAlerts: []};
	const view = read.view;
	for (const device of devices) {
		device.alerts = [];
		for (const service of device.services) {
			service.alerts = [];
		}
	}

	if (!view) {
		return result;
	}

	result.firing = view.firing;
	result.pending = view.pending;
	result.otherAlerts = view.otherAlerts.map(alert => report(alert));
	for (const known of view.devices) {
		// The exporter may call a device by another name than this machine does: the URL ties them.
		const local = devices.find(device => device.name === known.name) ?? devices.find(device => sameUrl(device.url, known.url));
		const alerts = (view.alertsByDevice.get(known.name) ?? []).map(alert => report(alert));
		if (local) {
			local.alerts!.push(...alerts);
			for (const alert of alerts) {
				local.services.find(service => service.path === alert.service)?.alerts!.push(alert);
			}
		} else if (listDiscovered) {
			result.discovered.push({name: known.name, url: known.url, hostname: known.hostname, up: known.up, via: known.via, nodeExporterUrl: known.nodeExporterUrl, alerts});
		}
	}

	for (const [name, alerts] of view.alertsByDevice) {
		const local = devices.find(device => device.name === name);
		if (local && !view.devices.some(known => known.name === name)) {
			local.alerts!.push(...alerts.map(alert => report(alert)));
			for (const alert of alerts) {
				local.services.find(service => service.path === alert.service)?.alerts!.push(report(alert));
			}
		}
	}

	return result;
}

const clean = (text: string) => sanitizeForTerminal(text).replaceAll('\n', ' ');

export function alertWords(alerts: readonly AlertReport[]): string {
	return alerts.map(alert => `${alert.state === 'firing' ? 'ALERT' : 'pending'} ${clean(alert.name)}`).join(', ');
}

/** A device's alerts, one line each, under its service table: "  ALERT GokrazyServiceCrashLooping on /user/crasher (warning): …". */
export function alertLines(alerts: readonly AlertReport[]): string[] {
	return alerts.map(alert => {
		const where = alert.service === null ? '' : ` on ${clean(alert.service)}`;
		const severity = alert.severity ? ` (${clean(alert.severity)})` : '';
		return `  ${alert.state === 'firing' ? 'ALERT' : 'pending'} ${clean(alert.name)}${where}${severity}: ${clean(alert.summary)}`;
	});
}

export function renderPrometheusHuman(part: PrometheusReport): string {
	const lines = [`prometheus ${part.url}: ${part.answered ? `${part.firing} alert(s) firing, ${part.pending} pending` : 'not read'}`];
	for (const alert of part.otherAlerts) {
		lines.push(`  ${alert.state === 'firing' ? 'ALERT' : 'pending'} ${clean(alert.name)}: ${clean(alert.summary)}`);
	}

	if (part.discovered.length > 0) {
		lines.push(`  known to Prometheus only (${part.discovered.length}):`);
		for (const device of part.discovered) {
			const state = device.up === null ? 'state unknown' : device.up ? 'up' : 'DOWN';
			const alerts = device.alerts.length > 0 ? `  ${alertWords(device.alerts)}` : '';
			lines.push(`  ${clean(device.name)}  ${clean(device.url)}  ${state}  via ${device.via}${alerts}`);
		}
	}

	return `${lines.join('\n')}\n`;
}
