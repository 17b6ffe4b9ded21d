// The list orders: trouble first puts what needs a look on top; ties keep the configured order.
import test from 'ava';
import type {DeviceSnapshot, ServiceSnapshot} from '../../source/core/fleet-store.js';
import {sortDevices, sortServices} from '../../source/ui/fleet-order.js';

function device(name: string, health: DeviceSnapshot['health'], counts: Partial<DeviceSnapshot['counts']> = {}, used?: number): DeviceSnapshot {
	return {
		name,
		health,
		counts: {running: 1, stopped: 0, restarting: 0, crashLooping: 0, ...counts},
		memory: used === undefined ? null : {total: 1000, available: 1000 - used, used},
		services: [],
	} as unknown as DeviceSnapshot;
}

function service(path: string, state: ServiceSnapshot['state'], restartsInWindow = 0, rss: number | null = null): ServiceSnapshot {
	return {path, state, restartsInWindow, rss} as unknown as ServiceSnapshot;
}

const names = (list: ReadonlyArray<{name?: string; path?: string}>) => list.map(item => item.name ?? item.path);

test('devices: trouble first (not answering, crash-looping, restarting, connecting, fine), ties as configured', t => {
	const fleet = [
		device('fine-a', 'online'),
		device('looping', 'online', {crashLooping: 1}),
		device('gone', 'unreachable'),
		device('waiting', 'connecting'),
		device('restarting', 'online', {restarting: 2}),
		device('fine-b', 'online'),
		device('refused', 'auth'),
	];
	t.deepEqual(names(sortDevices(fleet, 'trouble')), ['gone', 'refused', 'looping', 'restarting', 'waiting', 'fine-a', 'fine-b']);
	t.deepEqual(names(sortDevices(fleet, 'configured')), names(fleet));
	t.deepEqual(names(sortDevices([device('b10', 'online'), device('b9', 'online'), device('A', 'online')], 'name')), ['A', 'b9', 'b10']);
	t.deepEqual(names(sortDevices([device('small', 'online', {}, 10), device('none', 'online'), device('big', 'online', {}, 900)], 'memory')), ['big', 'small', 'none']);
});

test('services: by state, memory, restarts and trouble first', t => {
	const list = [service('/a', 'running', 0, 5), service('/b', 'stopped'), service('/c', 'crash-looping', 4, 1), service('/d', 'restarting', 1, 9)];
	t.deepEqual(names(sortServices(list, 'trouble')), ['/c', '/d', '/b', '/a']);
	t.deepEqual(names(sortServices(list, 'state')), ['/a', '/d', '/c', '/b']);
	t.deepEqual(names(sortServices(list, 'memory')), ['/d', '/a', '/c', '/b']);
	t.deepEqual(names(sortServices(list, 'restarts')), ['/c', '/d', '/a', '/b']);
});
