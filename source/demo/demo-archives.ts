// The two update archives a demo device offers: a good next build (one service added) and a bad one (a service crash-loops).
import {mkdir} from 'node:fs/promises';
import path from 'node:path';
import {formatRfc3339} from './go-format.js';
import {demoSbom, writeDemoArchive, type DemoBuild, type DemoBuildService, type DemoSbom} from './demo-build.js';
import type {DemoDevice} from './demo-device.js';

export type DemoArchives = {
	good: string;
	bad: string;
	goodBuild: DemoBuild;
	badBuild: DemoBuild;
	/** The SBOM of the build the device runs now: krazy-tui made that build, so it knows what is in it. */
	runningSbom: DemoSbom;
};

export type DemoArchiveOptions = {
	/** Default: <stateDir>/archives. */
	dir?: string;
	/** Size of each root.img; default 256 KiB. */
	rootBytes?: number;
};

const addedService = '/user/hello';
const brokenService = '/user/golink';

/** Both archives, made from what the device runs now, stamped with the current time (the bad one a second later). */
export async function makeDemoArchives(device: DemoDevice, options: DemoArchiveOptions = {}): Promise<DemoArchives> {
	const dir = options.dir ?? path.join(device.stateDir, 'archives');
	await mkdir(dir, {recursive: true});
	const running = device.build();
	// A good build repairs whatever crash-looped before and adds /user/hello.
	const good: DemoBuildService[] = running.services.map(service => (service.program === 'crashloop' ? {path: service.path} : service));
	if (!good.some(service => service.path === addedService)) {
		good.push({path: addedService, program: 'hello'});
	}

	const victim = good.find(service => service.path === brokenService) ?? good.find(service => service.path.startsWith('/user/'));
	const bad: DemoBuildService[] = victim
		? good.map(service => (service === victim ? {path: service.path, program: 'crashloop'} : service))
		: [...good, {path: brokenService, program: 'crashloop'}];
	// Always later than the running build, even when made in the same second the device was flashed.
	const now = Math.max(Date.now(), (Date.parse(running.buildTimestamp) || 0) + 1000);
	const common = {hostname: device.hostname, diskId: device.updates.diskId, rootBytes: options.rootBytes};
	const stamp = (ms: number) => formatRfc3339(ms, 0);
	const goodFile = path.join(dir, 'good.gaf');
	const badFile = path.join(dir, 'bad.gaf');
	const goodBuild = await writeDemoArchive({...common, file: goodFile, build: {buildTimestamp: stamp(now), arch: running.arch, services: good}});
	const badBuild = await writeDemoArchive({...common, file: badFile, build: {buildTimestamp: stamp(now + 1000), arch: running.arch, services: bad}});
	return {good: goodFile, bad: badFile, goodBuild, badBuild, runningSbom: demoSbom(running.services, device.hostname)};
}
