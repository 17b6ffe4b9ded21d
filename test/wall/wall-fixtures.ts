// Device snapshots for the wall's pure functions: typed like the store's, with only what a test cares about set.
import type {DeviceSnapshot, ServiceSnapshot} from '../../source/core/fleet-store.js';
import type {DeviceOverview, ServiceStatus} from '../../source/core/device-model.js';
import {emptySeries, MetricRing, type MetricSeries} from '../../source/core/metric-ring.js';
import {targetFromUrl} from '../../source/core/device-target.js';

export const gib = 1024 ** 3;
export const mib = 1024 ** 2;

export function service(path: string, overrides: Partial<ServiceSnapshot> & {pid?: number; stopped?: boolean; startTime?: Date | null} = {}): ServiceSnapshot {
	const status: ServiceStatus = {
		path,
		stopped: overrides.stopped ?? overrides.state === 'stopped',
		startTime: overrides.startTime === undefined ? new Date(Date.now() - 3_600_000) : overrides.startTime,
		pid: overrides.pid ?? 412,
		args: [path],
		diverted: '',
	};
	return {
		path,
		name: path.slice(path.lastIndexOf('/') + 1),
		status,
		state: overrides.state ?? (status.stopped ? 'stopped' : 'running'),
		restartsInWindow: overrides.restartsInWindow ?? 0,
		rss: overrides.rss ?? 12 * mib,
		rssHistory: emptySeries('gokrazy-html', 'bytes'),
		lastLog: overrides.lastLog ?? {},
		action: null,
	};
}

export function overview(overrides: Partial<DeviceOverview> = {}): DeviceOverview {
	return {
		services: [],
		hostname: 'casa',
		model: 'Raspberry Pi 4 Model B Rev 1.5',
		kernel: 'Linux 6.6.28-v8 (aarch64)',
		buildTimestamp: '2026-11-20T09:14:03+01:00',
		sbomHash: '',
		memory: {total: 8 * gib, available: 6 * gib},
		perm: {dev: '/dev/mmcblk0p4', used: 3 * gib, avail: 27 * gib, total: 30 * gib},
		privateAddrs: ['127.0.0.1'],
		publicAddrs: [],
		mountDevices: [],
		eeprom: null,
		permUuid: '',
		...overrides,
	};
}

/** A series with samples `values` at `start`, `start + step`, …. */
export function series(values: ReadonlyArray<number | null>, options: {start?: number; step?: number; unit?: 'bytes' | 'percent'} = {}): MetricSeries {
	const ring = new MetricRing(Math.max(2, values.length), options.unit === 'percent' ? 'node-exporter' : 'gokrazy-json', options.unit ?? 'bytes');
	values.forEach((value, index) => {
		ring.push((options.start ?? 1_000_000) + index * (options.step ?? 2000), value);
	});
	return ring.series();
}

export type DeviceFixture = Partial<Omit<DeviceSnapshot, 'overview'>> & {overview?: DeviceOverview | null};

/** An online device "casa" with two user and one system service, memory 2 of 8 GiB, /perm 3 of 30 GiB. */
export function device(overrides: DeviceFixture = {}): DeviceSnapshot {
	const name = overrides.name ?? 'casa';
	const theOverview = overrides.overview === undefined ? overview() : overrides.overview;
	const services = overrides.services ?? [service('/gokrazy/ntp'), service('/user/golink'), service('/user/prom')];
	const counts = {running: 0, stopped: 0, restarting: 0, crashLooping: 0};
	for (const entry of services) {
		if (entry.state === 'crash-looping') {
			counts.crashLooping++;
		} else {
			counts[entry.state]++;
		}
	}

	const memory = theOverview?.memory
		? {total: theOverview.memory.total, available: theOverview.memory.available, used: theOverview.memory.total - theOverview.memory.available}
		: null;
	const health = overrides.health ?? 'online';
	return {
		name,
		target: targetFromUrl('http://127.0.0.1:8080', name),
		url: 'http://127.0.0.1:8080',
		health,
		error: null,
		errorKind: null,
		lastSeen: 1_000_000,
		consecutiveFailures: 0,
		nextAttemptAt: null,
		stale: health !== 'online' && theOverview !== null,
		memory,
		memoryHistory: series(memory ? [memory.used] : []),
		counts,
		htmlError: null,
		node: null,
		power: null,
		...overrides,
		overview: theOverview,
		services,
	};
}
