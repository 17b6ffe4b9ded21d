// How the device and service lists are ordered: as configured, by name, state, memory, restarts, or trouble first.
// Ties keep the configured order (the sort is stable), so a list never shuffles between two polls for nothing.
import type {DeviceHealth, DeviceSnapshot, ServiceDisplayState, ServiceSnapshot} from '../core/fleet-store.js';
import type {SortOrder} from './dashboard-state.js';

const healthRank: Readonly<Record<DeviceHealth, number>> = {online: 0, connecting: 1, unreachable: 2, auth: 3, tls: 4, 'bad-answer': 5};
const stateRank: Readonly<Record<ServiceDisplayState, number>> = {running: 0, restarting: 1, 'crash-looping': 2, stopped: 3};

function deviceRestarts(device: DeviceSnapshot): number {
	let total = 0;
	for (const service of device.services) {
		total += service.restartsInWindow;
	}

	return total;
}

/** Lower is worse: not answering, then crash-looping services, then restarting ones, then waiting, then fine. */
export function deviceTrouble(device: DeviceSnapshot): number {
	if (device.health !== 'online' && device.health !== 'connecting') {
		return 0;
	}

	if (device.counts.crashLooping > 0) {
		return 1;
	}

	if (device.counts.restarting > 0) {
		return 2;
	}

	return device.health === 'connecting' ? 3 : 4;
}

function serviceTrouble(service: ServiceSnapshot): number {
	return {'crash-looping': 0, restarting: 1, stopped: 2, running: 3}[service.state];
}

const byName = (a: string, b: string) => a.localeCompare(b, undefined, {numeric: true, sensitivity: 'base'});

function sorted<T>(list: readonly T[], compare: (a: T, b: T) => number): readonly T[] {
	return [...list].sort(compare);
}

export function sortDevices(devices: readonly DeviceSnapshot[], order: SortOrder): readonly DeviceSnapshot[] {
	switch (order) {
		case 'configured': {
			return devices;
		}

		case 'name': {
			return sorted(devices, (a, b) => byName(a.name, b.name));
		}

		case 'state': {
			return sorted(devices, (a, b) => healthRank[a.health] - healthRank[b.health]);
		}

		case 'memory': {
			return sorted(devices, (a, b) => (b.memory?.used ?? -1) - (a.memory?.used ?? -1));
		}

		case 'restarts': {
			return sorted(devices, (a, b) => deviceRestarts(b) - deviceRestarts(a));
		}

		case 'trouble': {
			return sorted(devices, (a, b) => deviceTrouble(a) - deviceTrouble(b));
		}
	}
}

export function sortServices(services: readonly ServiceSnapshot[], order: SortOrder): readonly ServiceSnapshot[] {
	switch (order) {
		case 'configured': {
			return services;
		}

		case 'name': {
			return sorted(services, (a, b) => byName(a.path, b.path));
		}

		case 'state': {
			return sorted(services, (a, b) => stateRank[a.state] - stateRank[b.state]);
		}

		case 'memory': {
			return sorted(services, (a, b) => (b.rss ?? -1) - (a.rss ?? -1));
		}

		case 'restarts': {
			return sorted(services, (a, b) => b.restartsInWindow - a.restartsInWindow);
		}

		case 'trouble': {
			return sorted(services, (a, b) => serviceTrouble(a) - serviceTrouble(b));
		}
	}
}
