// Shared pieces of the update tests: a demo device with its archives, a target for it, a records folder, an event log.
import {mkdtemp, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import type {ExecutionContext} from 'ava';
import {makeDemoArchives, type DemoArchives} from '../../source/demo/demo-archives.js';
import type {DeviceTarget} from '../../source/core/device-target.js';
import type {UpdateEvent} from '../../source/core/update/update-events.js';
import {UpdateRecords} from '../../source/core/update/update-records.js';
import {startDemoDevice, type DemoDevice, type DemoDeviceOptions} from '../../source/demo/demo-device.js';

/** The folder holding the `gok` stand-in (put it first on PATH). */
export const fakeGokDir = fileURLToPath(new URL('fake-gok/', import.meta.url));

export async function tempDir(t: ExecutionContext, prefix = 'krazy-update-'): Promise<string> {
	const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
	t.teardown(() => rm(dir, {recursive: true, force: true}));
	return dir;
}

export type UpdateBench = {device: DemoDevice; archives: DemoArchives; target: DeviceTarget; records: UpdateRecords; configDir: string};

/** A demo device that reboots quickly, its good and bad archives, and a records folder that knows its SBOM. */
export async function startUpdateBench(t: ExecutionContext, options: DemoDeviceOptions = {}): Promise<UpdateBench> {
	const device = await startDemoDevice({rebootDowntimeMs: 300, hostname: 'casa', ...options});
	t.teardown(() => device.stop());
	const archives = await makeDemoArchives(device);
	const configDir = await tempDir(t, 'krazy-config-');
	const records = new UpdateRecords(configDir);
	await records.rememberSbom(JSON.stringify(archives.runningSbom, null, 4) + '\n');
	const target: DeviceTarget = {name: 'casa', url: device.baseUrl, password: device.password, source: 'url'};
	return {device, archives, target, records, configDir};
}

export function eventLog(): {events: UpdateEvent[]; onEvent: (event: UpdateEvent) => void; types: () => string[]} {
	const events: UpdateEvent[] = [];
	return {events, onEvent: event => events.push(event), types: () => events.map(event => event.type)};
}

/** Job timings for tests: quick polls, a short settle. */
export const quick = {settleMs: 2500, watchPollMs: 200, gatePollMs: 200, waitTimeoutMs: 30_000};
