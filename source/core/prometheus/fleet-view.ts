// What Prometheus knows about the fleet, mapped for krazy-tui's rows: devices it discovered and the alerts on each device and service.
import {describeError} from '../device-error.js';
import {nodeExporterPort} from '../node-exporter.js';
import {metricNames} from './metric-names.js';
import type {Labels, PrometheusAlert, PrometheusClient, PrometheusTarget} from './prometheus-client.js';

/** A device Prometheus knows: from an exporter's gokrazy_device_info, or a node exporter on a gokrazy host. */
export type DiscoveredDevice = {
	/** The exporter's `device` label; for a node exporter alone, its host. */
	name: string;
	/** The gokrazy API's URL without credentials (the exporter's `url` label), or http://HOST for a node exporter alone. */
	url: string;
	hostname: string | null;
	/** Up by the exporter's last poll (or the node exporter's scrape); null when not known. */
	up: boolean | null;
	via: 'exporter' | 'node-exporter';
	/** The exporter instance that reports it (host:port). */
	exporter: string | null;
	/** The node exporter's metrics URL, when Prometheus scrapes one on the device's host. */
	nodeExporterUrl: string | null;
	/** The node exporter's `instance` label, for history queries. */
	nodeInstance: string | null;
};

export type DeviceAlert = {
	name: string;
	state: 'firing' | 'pending';
	severity: string | null;
	/** The service path the alert is about, if any. */
	service: string | null;
	summary: string;
	activeAt: string | null;
	labels: Labels;
};

export type FleetView = {
	/** The server's base URL (no credentials). */
	server: string;
	devices: DiscoveredDevice[];
	alerts: DeviceAlert[];
	/** Alerts by the device they are about (the `device` label, or a node exporter's instance on a known host). */
	alertsByDevice: ReadonlyMap<string, DeviceAlert[]>;
	/** Alerts about no device krazy-tui can name (still counted). */
	otherAlerts: DeviceAlert[];
	firing: number;
	pending: number;
	/** Parts that failed (the rest is still usable), each naming the server and the cause. */
	failures: string[];
	/** Prometheus's own warnings: the data may be partial. */
	warnings: string[];
};

/** Host of `host:port` or `[v6]:port`, lower-cased. */
export function hostOf(instance: string): string {
	const bracket = /^\[([^\]]+)\]/.exec(instance);
	if (bracket) {
		return bracket[1]!.toLowerCase();
	}

	const colon = instance.lastIndexOf(':');
	return (colon === -1 ? instance : instance.slice(0, colon)).toLowerCase();
}

function urlHost(url: string): string | null {
	try {
		return new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
	} catch {
		return null;
	}
}

/** A node exporter target: by its job's name, its port, or the `gokrazy` label the README's scrape config sets. */
function isNodeExporter(target: PrometheusTarget): boolean {
	return /node/i.test(target.job) || target.instance.endsWith(`:${nodeExporterPort}`);
}

function toAlert(alert: PrometheusAlert): DeviceAlert | null {
	if (alert.state === 'inactive') {
		return null;
	}

	return {
		name: alert.name,
		state: alert.state,
		severity: alert.labels.severity ?? null,
		service: alert.labels.service ?? null,
		summary: alert.annotations.summary ?? alert.annotations.description ?? alert.name,
		activeAt: alert.activeAt,
		labels: alert.labels,
	};
}

/**
 * Discovered devices: every device of every exporter Prometheus scrapes, plus node exporters on the same hosts
 * (attached to those devices) or labelled `gokrazy="true"` in the scrape config (devices of their own).
 */
export function discoverDevices(info: Array<{labels: Labels}>, up: Array<{labels: Labels; value: number | null}>, targets: PrometheusTarget[]): DiscoveredDevice[] {
	const upByKey = new Map(up.map(sample => [`${sample.labels.instance}\0${sample.labels.device}`, sample.value]));
	const devices = new Map<string, DiscoveredDevice>();
	for (const {labels} of info) {
		const name = labels.device;
		if (!name || devices.has(name)) {
			continue;
		}

		const value = upByKey.get(`${labels.instance}\0${name}`);
		devices.set(name, {
			name,
			url: labels.url ?? '',
			hostname: labels.hostname || null,
			up: value === undefined || value === null ? null : value === 1,
			via: 'exporter',
			exporter: labels.instance ?? null,
			nodeExporterUrl: null,
			nodeInstance: null,
		});
	}

	const byHost = new Map<string, DiscoveredDevice>();
	for (const device of devices.values()) {
		const host = urlHost(device.url);
		if (host && !byHost.has(host)) {
			byHost.set(host, device);
		}
	}

	for (const target of targets) {
		if (!isNodeExporter(target) && target.labels.gokrazy !== 'true') {
			continue;
		}

		const host = hostOf(target.instance);
		const known = byHost.get(host);
		if (known) {
			known.nodeExporterUrl ??= target.scrapeUrl;
			known.nodeInstance ??= target.instance;
			continue;
		}

		if (target.labels.gokrazy === 'true' && !devices.has(host)) {
			const device: DiscoveredDevice = {
				name: host,
				url: `http://${host.includes(':') ? `[${host}]` : host}`,
				hostname: null,
				up: target.health === 'unknown' ? null : target.health === 'up',
				via: 'node-exporter',
				exporter: null,
				nodeExporterUrl: target.scrapeUrl,
				nodeInstance: target.instance,
			};
			devices.set(host, device);
			byHost.set(host, device);
		}
	}

	return [...devices.values()];
}

/** Alerts by device: the `device` label names it; otherwise an `instance` on a discovered device's host does. */
export function indexAlerts(alerts: DeviceAlert[], devices: DiscoveredDevice[]): {byDevice: Map<string, DeviceAlert[]>; other: DeviceAlert[]} {
	const byHost = new Map<string, string>();
	for (const device of devices) {
		const host = urlHost(device.url);
		if (host) {
			byHost.set(host, device.name);
		}
	}

	const byDevice = new Map<string, DeviceAlert[]>();
	const other: DeviceAlert[] = [];
	for (const alert of alerts) {
		const device = alert.labels.device ?? (alert.labels.instance === undefined ? undefined : byHost.get(hostOf(alert.labels.instance)));
		if (device === undefined) {
			other.push(alert);
			continue;
		}

		byDevice.set(device, [...(byDevice.get(device) ?? []), alert]);
	}

	return {byDevice, other};
}

/**
 * Reads discovery and alerts in parallel. A part that fails is a problem in the answer, not an exception: only when
 * everything failed does it throw (the first failure, naming the server).
 */
export async function readFleetView(client: PrometheusClient, signal?: AbortSignal): Promise<FleetView> {
	const [info, up, targets, alerts] = await Promise.allSettled([
		client.query(metricNames.deviceInfo, {signal}),
		client.query(metricNames.deviceUp, {signal}),
		client.targets(signal),
		client.alerts(signal),
	]);
	const results = [info, up, targets, alerts];
	if (results.every(result => result.status === 'rejected')) {
		throw (info as PromiseRejectedResult).reason;
	}

	const failures = new Set<string>();
	const warnings = new Set<string>();
	for (const result of results) {
		if (result.status === 'rejected') {
			failures.add(describeError(result.reason, client.name));
		} else {
			for (const warning of result.value.warnings) {
				warnings.add(`${client.name}: partial data: ${warning}`);
			}
		}
	}

	const devices = discoverDevices(
		info.status === 'fulfilled' ? info.value.samples : [],
		up.status === 'fulfilled' ? up.value.samples : [],
		targets.status === 'fulfilled' ? targets.value.targets : [],
	);
	const deviceAlerts = (alerts.status === 'fulfilled' ? alerts.value.alerts : []).map(alert => toAlert(alert)).filter(alert => alert !== null);
	const {byDevice, other} = indexAlerts(deviceAlerts, devices);
	return {
		server: client.url,
		devices,
		alerts: deviceAlerts,
		alertsByDevice: byDevice,
		otherAlerts: other,
		firing: deviceAlerts.filter(alert => alert.state === 'firing').length,
		pending: deviceAlerts.filter(alert => alert.state === 'pending').length,
		failures: [...failures],
		warnings: [...warnings],
	};
}
