// The one flash session, driven with recording services: the order of the steps, sudo, the single power-off point,
// clean-up and refusals, as the command and the wizard both see them through its events.
import test from 'ava';
import type {DriveAssessment} from '../../../source/core/flash/drive-verdict.js';
import {FlashError} from '../../../source/core/flash/flash-error.js';
import type {FlashOutcome} from '../../../source/core/flash/flash-job.js';
import type {FlashServices} from '../../../source/core/flash/flash-services.js';
import {runFlashSession, type FlashSessionEvent} from '../../../source/core/flash/flash-session.js';
import type {ImageInfo} from '../../../source/core/flash/image-source.js';

const image: ImageInfo = {path: '/tmp/casa.img', format: 'raw', fileSize: 1024, size: 1024};

function drive(overrides: Partial<DriveAssessment> = {}, type = 'disk'): DriveAssessment {
	return {
		device: {
			name: 'sdz', path: '/dev/sdz', type, size: 8 * 1024 ** 3, removable: true, hotplug: true, readOnly: false, transport: 'usb',
			subsystems: ['block'], model: 'Card', vendor: 'Test', mountpoints: [], fstype: '', label: '', majMin: '8:0', children: [],
		},
		verdict: 'ok',
		reasons: [],
		mounted: [],
		canUnmount: true,
		...overrides,
	};
}

const outcome: FlashOutcome = {sha256: 'ab', imageBytes: 1024, writtenBytes: 1024, skippedBytes: 0, verified: true, writeSeconds: 1, verifySeconds: 1};

/** Services that record what was asked of them; `permission` makes the direct write need root. */
function recording(options: {permission?: boolean; sudo?: string; failWrite?: boolean} = {}) {
	const calls: string[] = [];
	const services: FlashServices = {
		async inspectImage(path) {
			calls.push(`inspect ${path}`);
			return {...image, path};
		},
		listSources: async () => ({gok: true, instances: []}),
		completePath: async partial => ({value: partial, candidates: [], matches: 0}),
		lastImage: async () => undefined,
		rememberImage: async () => undefined,
		survey: async () => [],
		async buildInstance(instance, bytes, {onOutput}) {
			calls.push(`build ${instance} ${bytes}`);
			onOutput('gok: building');
			return {imagePath: `/tmp/${instance}.img`, cleanup: async () => {
				calls.push('cleanup');
			}};
		},
		async unmount(path, mountpoints) {
			calls.push(`unmount ${path} ${mountpoints.join(',')}`);
		},
		async flash(plan, hooks) {
			calls.push(`flash ${plan.devicePath} verify=${plan.verify}`);
			if (options.permission) {
				throw new FlashError(plan.devicePath, 'permission', 'permission denied');
			}

			if (options.failWrite) {
				throw new FlashError(plan.devicePath, 'io', 'the card went away');
			}

			hooks.onEvent({phase: 'write', bytes: 1024, total: 1024, sourceBytes: 1024, sourceTotal: 1024, bytesPerSecond: 1024, writtenBytes: 1024, skippedBytes: 0});
			return outcome;
		},
		sudoPath: async () => options.sudo,
		async validateSudo(sudo) {
			calls.push(`validate ${sudo}`);
		},
		async flashWithSudo(sudo, plan) {
			calls.push(`sudo-flash ${sudo} ${plan.devicePath}`);
			return outcome;
		},
		async powerOff(path, isLoop) {
			calls.push(`power-off ${path} loop=${isLoop}`);
			return {method: 'eject', ok: true, message: 'the card is ejected: you can take it out'};
		},
	};
	return {calls, services};
}

test('an image onto a mounted card: unmount, write and verify, then power off once, last', async t => {
	const {calls, services} = recording();
	const events: FlashSessionEvent[] = [];
	const result = await runFlashSession({drive: drive({mounted: ['/media/boot']}), source: {image}, unmount: true}, services, {askSudoPassword: false, onEvent: event => events.push(event)});
	t.deepEqual(calls, ['unmount /dev/sdz /media/boot', 'flash /dev/sdz verify=true', 'power-off /dev/sdz loop=false']);
	t.deepEqual(events.map(event => event.type), ['unmounting', 'progress', 'power-off', 'done']);
	t.is(result.powerOff?.method, 'eject');
	t.deepEqual(events.at(-1), {type: 'done', outcome: result});
});

test('a card that needs root: sudo asks on the terminal only when there is one, the child writes, this process powers off', async t => {
	for (const asking of [true, false]) {
		const {calls, services} = recording({permission: true, sudo: '/usr/bin/sudo'});
		const events: FlashSessionEvent[] = [];
		await runFlashSession({drive: drive(), source: {image}, unmount: false}, services, {askSudoPassword: asking, onEvent: event => events.push(event)});
		t.deepEqual(calls, [
			'flash /dev/sdz verify=true',
			...(asking ? ['validate /usr/bin/sudo'] : []),
			'sudo-flash /usr/bin/sudo /dev/sdz',
			'power-off /dev/sdz loop=false',
		]);
		t.deepEqual(events.map(event => event.type), ['sudo', 'sudo-granted', 'power-off', 'done']);
	}
});

test('no sudo: the error names the device and says what to do', async t => {
	const {services} = recording({permission: true});
	const error = await t.throwsAsync(runFlashSession({drive: drive(), source: {image}, unmount: false}, services, {askSudoPassword: true}));
	t.true(error instanceof FlashError);
	t.regex(error!.message, /^\/dev\/sdz: permission denied, and sudo is not installed/);
});

test('a gok instance is built for the card\'s size, inspected, written, and its build cleaned up, failed or not', async t => {
	const built = recording();
	const events: FlashSessionEvent[] = [];
	await runFlashSession({drive: drive({}, 'loop'), source: {instance: 'casa'}, unmount: false, verify: false}, built.services, {askSudoPassword: false, onEvent: event => events.push(event)});
	t.deepEqual(built.calls, [`build casa ${8 * 1024 ** 3}`, 'inspect /tmp/casa.img', 'flash /dev/sdz verify=false', 'power-off /dev/sdz loop=true', 'cleanup']);
	t.deepEqual(events.slice(0, 2).map(event => event.type), ['build-output', 'image-built']);

	const failing = recording({failWrite: true});
	await t.throwsAsync(runFlashSession({drive: drive(), source: {instance: 'casa'}, unmount: false}, failing.services, {askSudoPassword: false}), {message: '/dev/sdz: the card went away'});
	t.deepEqual(failing.calls.slice(-2), ['flash /dev/sdz verify=true', 'cleanup'], 'no power-off after a failed write');
});

test('refusals touch nothing: a refused card, a mounted card without unmount, a stopped session', async t => {
	const {calls, services} = recording();
	await t.throwsAsync(runFlashSession({drive: drive({verdict: 'refuse', reasons: [{code: 'system-device', severity: 'refuse', text: 'holds the running system'}]}), source: {image}, unmount: true}, services, {askSudoPassword: false}), {message: '/dev/sdz: holds the running system'});
	await t.throwsAsync(runFlashSession({drive: drive({mounted: ['/media/x']}), source: {image}, unmount: false}, services, {askSudoPassword: false}), {message: /mounted at \/media\/x/});
	const stopped = new AbortController();
	stopped.abort();
	await t.throwsAsync(runFlashSession({drive: drive(), source: {image}, unmount: false}, services, {askSudoPassword: false, signal: stopped.signal}));
	t.deepEqual(calls, []);
});

test('--no-power-off leaves the card powered', async t => {
	const {calls, services} = recording();
	const result = await runFlashSession({drive: drive(), source: {image}, unmount: false, powerOff: false}, services, {askSudoPassword: false});
	t.false(calls.some(call => call.startsWith('power-off')));
	t.is(result.powerOff, undefined);
});
