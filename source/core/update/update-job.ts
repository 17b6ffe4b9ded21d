// One device's update (check, push, switch, reboot, watch, gate) and rollback, as async jobs that emit typed events and stop cleanly on an AbortSignal, saying where the device stands.
import {DeviceClient} from '../device-client.js';
import {DeviceError} from '../device-error.js';
import type {DeviceTarget} from '../device-target.js';
import type {DeviceOverview} from '../device-model.js';
import {GafArchive, GafError, inspectGaf, type GafSummary} from './gaf-archive.js';
import {runHealthGate} from './health-gate.js';
import {buildOf, watchReboot} from './reboot-watch.js';
import {diffSbom} from './sbom.js';
import {NotImplementedError, UpdateClient} from './update-client.js';
import {
	describeBuild,
	sameBuild,
	UpdateFailure,
	type BuildRef,
	type DeviceStanding,
	type GateRow,
	type UpdateEvent,
	type UpdatePhase,
	type UpdatePlan,
	type UpdateResult,
} from './update-events.js';
import {rollbackDecision, UpdateRecords, type UpdateRecord} from './update-records.js';

export type JobOptions = {
	target: DeviceTarget;
	records: UpdateRecords;
	onEvent: (event: UpdateEvent) => void;
	signal?: AbortSignal;
	/**
	 * Asked once the plan is known; false stops before anything is sent; 'no-reboot' (an update only) goes ahead but
	 * leaves the reboot to later, as `reboot: false`; 'testboot' goes ahead as `testboot: true`. Absent: go ahead (--yes).
	 */
	confirm?: (plan: UpdatePlan) => Promise<boolean | 'no-reboot' | 'testboot'>;
	/** Default 30 s. */
	settleMs?: number;
	/** How long the way back may take; default 5 minutes. */
	waitTimeoutMs?: number;
	/** Polling of the watch (default 1 s) and of the gate (default 500 ms). */
	watchPollMs?: number;
	gatePollMs?: number;
	/** Per-request timeout towards the device; default 5 s. */
	timeoutMs?: number;
};

export type UpdateOptions = JobOptions & {
	/** The gaf to push. */
	archive: string;
	testboot?: boolean;
	/** false: push and switch, leave the reboot to later. */
	reboot?: boolean;
};

type Context = {
	device: string;
	phase: UpdatePhase;
	standing: DeviceStanding;
	from: BuildRef;
	to: BuildRef;
	/** boot.img went out: the boot partition's cmdline.txt is the new build's, whatever follows. */
	bootWritten?: boolean;
};

/** A DeviceError or anything else, as the one line a person reads, with where the device stands. */
function failure(context: Context, error: unknown, signal?: AbortSignal): UpdateFailure {
	if (error instanceof UpdateFailure) {
		return error;
	}

	const cancelled = signal?.aborted === true || (error instanceof DeviceError && error.kind === 'aborted');
	const cause = cancelled ? `cancelled during ${context.phase}` : error instanceof DeviceError ? error.causeText : (error as Error).message ?? String(error);
	return new UpdateFailure(context.device, context.phase, `${context.device}: ${cause}; ${standingText(context)}`, context.standing, {cancelled, from: context.from, to: context.to});
}

/** Where the device stands, in words: the part of every failure message that says what to do next. */
export function standingText(context: Pick<Context, 'standing' | 'from' | 'to' | 'bootWritten'>): string {
	switch (context.standing) {
		case 'untouched':
			return `nothing was changed; it runs ${describeBuild(context.from)}`;
		case 'pushed':
			return context.bootWritten
				? `nothing was switched and it still runs ${describeBuild(context.from)}, but its boot partition was already rewritten: run the update again before it reboots`
				: `nothing was switched: it still runs ${describeBuild(context.from)} and boots it again`;
		case 'switched':
			return `it was switched to the new build but NOT rebooted: it runs ${describeBuild(context.from)} until its next reboot, which starts the new build`;
		case 'rebooting':
			return 'it was told to reboot into the new build and has not been seen back';
		case 'rebooted':
			return `it runs ${describeBuild(context.to)}`;
	}
}

function eta(bytes: number, total: number, elapsedMs: number): {bytesPerSecond: number; etaSeconds: number | undefined} {
	const bytesPerSecond = elapsedMs > 0 ? (bytes / elapsedMs) * 1000 : 0;
	return {bytesPerSecond, etaSeconds: bytesPerSecond > 0 ? (total - bytes) / bytesPerSecond : undefined};
}

/** Pushes one part and compares hashes; a mismatch stops everything before any switch. */
async function pushPart(
	options: {client: UpdateClient; archive: GafArchive; entry: string; dest: string; size: number; device: string; signal?: AbortSignal; onEvent: (event: UpdateEvent) => void},
): Promise<'pushed' | 'not-implemented'> {
	const {client, archive, entry, dest, size, device, signal, onEvent} = options;
	const source = (await archive.range(entry)) ?? (await archive.stream(entry));
	try {
		const result = await client.push(dest, source, size, {
			signal,
			onProgress({bytes, total, elapsedMs}) {
				onEvent({type: 'push', device, part: dest, bytes, total, ...eta(bytes, total, elapsedMs)});
			},
		});
		if (result.deviceHash !== result.ownHash) {
			throw new DeviceError(device, 'http', `the device's hash of ${dest} (${result.deviceHash.slice(0, 16)}…) differs from what krazy-tui sent (${result.ownHash.slice(0, 16)}…)`);
		}

		onEvent({type: 'pushed', device, part: dest, bytes: result.bytes, seconds: result.elapsedMs / 1000, sha256: result.ownHash});
		return 'pushed';
	} catch (error) {
		if (error instanceof NotImplementedError) {
			return 'not-implemented';
		}

		throw error;
	} finally {
		if ('destroy' in source) {
			source.destroy();
		}
	}
}

async function deviceArch(client: DeviceClient, overview: DeviceOverview, signal?: AbortSignal): Promise<string | undefined> {
	const probe = overview.services[0];
	if (!probe) {
		return undefined;
	}

	try {
		return (await client.serviceHtmlStatus(probe.path, signal)).goarch || undefined;
	} catch {
		return undefined;
	}
}

/**
 * The update of one device from a gaf. Order as gok update: root first (it cannot break the running system),
 * device-specific files (absent handlers ignored), boot, MBR (absent handler ignored); every part's SHA-256
 * compared with the device's answer before anything is switched; then switch or testboot, reboot, the way back
 * (success: the archive's SBOM hash, else a changed build timestamp) and the health gate.
 */
export async function runUpdate(options: UpdateOptions): Promise<UpdateResult> {
	const {target, records, onEvent, signal} = options;
	const device = target.name;
	const settleMs = options.settleMs ?? 30_000;
	let mode: 'switch' | 'testboot' = options.testboot ? 'testboot' : 'switch';
	let reboot = options.reboot !== false;
	const context: Context = {device, phase: 'check', standing: 'untouched', from: {buildTimestamp: '', sbomHash: ''}, to: {buildTimestamp: '', sbomHash: ''}};
	const phase = (next: UpdatePhase, message?: string) => {
		context.phase = next;
		onEvent({type: 'phase', device, phase: next, message});
	};

	const client = new DeviceClient(target, {timeoutMs: options.timeoutMs});
	const updates = new UpdateClient(target, {timeoutMs: options.timeoutMs});
	let archive: GafArchive | undefined;
	const record: UpdateRecord = {
		id: UpdateRecords.newId(),
		device,
		url: target.url,
		time: '',
		kind: 'update',
		from: context.from,
		to: context.to,
		mode,
		state: 'pushing',
		archive: options.archive,
	};
	try {
		phase('check');
		let summary: GafSummary;
		try {
			archive = await GafArchive.open(options.archive);
			summary = await inspectGaf(archive);
		} catch (error) {
			throw error instanceof GafError ? new DeviceError(device, 'config', `archive ${error.message}`) : error;
		}

		const before = await client.overview(signal);
		context.from = buildOf(before);
		const features = await updates.features(signal);
		const arch = await deviceArch(client, before, signal);
		if (summary.arch && arch && summary.arch !== arch) {
			throw new DeviceError(device, 'config', `the archive is for ${summary.arch}, the device runs ${arch}`);
		}

		context.to = {
			sbomHash: summary.sbom?.hash ?? (summary.rootKind.kind === 'demo' ? summary.rootKind.sbomHash : ''),
			buildTimestamp: summary.rootKind.kind === 'demo' ? summary.rootKind.buildTimestamp : '',
		};
		const plan = await makePlan({summary, before, features, context, records, mode, reboot, settleMs, archive: options.archive});
		if (summary.sbom) {
			await records.rememberSbom((await archive.head('sbom.json', 8 * 1024 * 1024)).toString('utf8')).catch(() => undefined);
		}

		onEvent({type: 'plan', device, plan});
		const answer = options.confirm ? await options.confirm(plan) : true;
		if (answer === false) {
			throw new UpdateFailure(device, 'check', `${device}: not updated (not confirmed); ${standingText(context)}`, 'untouched', {declined: true, from: context.from, to: context.to});
		}

		if (answer === 'no-reboot') {
			reboot = false;
		} else if (answer === 'testboot') {
			mode = 'testboot';
			record.mode = 'testboot';
		}

		if (signal?.aborted) {
			throw new DeviceError(device, 'aborted', 'cancelled');
		}

		// From here the inactive partition changes: the record says so first, so a crash cannot leave a stale rollback.
		phase('push');
		Object.assign(record, {from: context.from, to: context.to, state: 'pushing'});
		await records.put(record);
		context.standing = 'pushed';
		await pushPart({client: updates, archive, entry: 'root.img', dest: 'root', size: summary.root, device, signal, onEvent});
		for (const file of summary.deviceSpecific) {
			const pushed = await pushPart({client: updates, archive, entry: `device-specific/${file.name}`, dest: `device-specific/${file.name}`, size: file.size, device, signal, onEvent});
			if (pushed === 'not-implemented') {
				onEvent({type: 'skipped', device, part: `device-specific/${file.name}`, reason: 'the device has no handler for it (404); ignored as gok does'});
			}
		}

		context.bootWritten = true;
		await pushPart({client: updates, archive, entry: 'boot.img', dest: 'boot', size: summary.boot, device, signal, onEvent});
		if (summary.mbr !== undefined) {
			const pushed = await pushPart({client: updates, archive, entry: 'mbr.img', dest: 'mbr', size: summary.mbr, device, signal, onEvent});
			if (pushed === 'not-implemented') {
				onEvent({type: 'skipped', device, part: 'mbr', reason: 'the device cannot update its MBR; ignored as gok does'});
			}
		}

		Object.assign(record, {state: 'pushed'});
		await records.put(record);
		if (signal?.aborted) {
			throw new DeviceError(device, 'aborted', 'cancelled');
		}

		phase('switch');
		await updates.post(mode === 'testboot' ? 'testboot' : 'switch', signal);
		context.standing = 'switched';
		Object.assign(record, {state: mode === 'testboot' ? 'testboot-set' : 'switched'});
		await records.put(record);
		onEvent({type: 'switched', device, mode});
		if (signal?.aborted) {
			throw new DeviceError(device, 'aborted', 'cancelled');
		}

		if (!reboot) {
			phase('done');
			const result: UpdateResult = {device, kind: 'update', from: context.from, to: context.to, standing: 'switched', services: []};
			onEvent({type: 'done', device, result});
			return result;
		}

		// A service whose package the new build removes may be gone (gok names a service after its package's last element).
		const removed = new Set((plan.diff?.removed ?? []).map(name => `/user/${name.split('/').pop()}`));
		return await rebootWatchGate({client, updates, options, context, record, before, phase, mode, settleMs, mayBeGone: path => removed.has(path)});
	} catch (error) {
		const failed = failure(context, error, signal);
		onEvent({type: 'failed', device, phase: failed.phase, message: failed.message, switched: failed.switched, standing: failed.standing});
		throw failed;
	} finally {
		archive?.close();
		client.close();
	}
}

async function makePlan(input: {
	summary: GafSummary;
	before: DeviceOverview;
	features: string[];
	context: Context;
	records: UpdateRecords;
	mode: 'switch' | 'testboot';
	reboot: boolean;
	settleMs: number;
	archive: string;
}): Promise<UpdatePlan> {
	const {summary, context, records} = input;
	const notes: string[] = [];
	const parts = [{part: 'root', bytes: summary.root}, ...summary.deviceSpecific.map(file => ({part: `device-specific/${file.name}`, bytes: file.size})), {part: 'boot', bytes: summary.boot}];
	if (summary.mbr !== undefined) {
		parts.push({part: 'mbr', bytes: summary.mbr});
	}

	let diff;
	if (!summary.sbom) {
		notes.push('the archive has no sbom.json: success is judged by a changed build timestamp');
	} else {
		const running = await records.sbom(context.from.sbomHash);
		if (running) {
			diff = diffSbom(running, summary.sbom);
		} else {
			notes.push(`krazy-tui has not seen the SBOM of the running build (${context.from.sbomHash.slice(0, 10) || 'none reported'}), so it cannot list package changes`);
		}

		if (summary.sbom.hash === context.from.sbomHash) {
			notes.push('the device already runs a build with this SBOM hash');
		}
	}

	if (!input.features.includes('partuuid')) {
		notes.push('the device does not announce PARTUUID support: an old init');
	}

	return {
		device: context.device,
		kind: 'update',
		from: context.from,
		to: context.to,
		archive: input.archive,
		parts,
		diff,
		notes,
		mode: input.mode,
		reboot: input.reboot,
		settleSeconds: Math.round(input.settleMs / 1000),
	};
}

/** Reboot, watch the way back, hold the gate, write the record: shared by update and rollback. */
async function rebootWatchGate(input: {
	client: DeviceClient;
	updates: UpdateClient;
	options: JobOptions;
	context: Context;
	record: UpdateRecord;
	before: DeviceOverview;
	phase: (next: UpdatePhase, message?: string) => void;
	mode: 'switch' | 'testboot' | 'reboot';
	settleMs: number;
	mayBeGone: (path: string) => boolean;
}): Promise<UpdateResult> {
	const {client, updates, options, context, record, before, phase, mode, settleMs, mayBeGone} = input;
	const {records, onEvent, signal} = options;
	const device = context.device;
	phase('reboot');
	try {
		await client.reboot();
	} catch (error) {
		// A reboot that drops the connection early, or never answers, may still be under way: watching tells.
		if (!(error instanceof DeviceError) || !['unreachable', 'timeout'].includes(error.kind)) {
			throw error;
		}
	}

	context.standing = 'rebooting';
	phase('wait');
	const watched = await watchReboot({
		client,
		from: context.from,
		timeoutMs: options.waitTimeoutMs,
		pollMs: options.watchPollMs,
		signal,
		onState: state => onEvent({type: 'wait', device, state: state.state, seconds: state.seconds, from: context.from, to: state.build}),
	});
	if (watched.outcome === 'never-back') {
		await records.put({...record, state: 'not-back'});
		const minutes = Math.round(watched.waitedMs / 6000) / 10;
		const testbootText = mode === 'testboot'
			? 'it was test-booting: a build that fails to boot falls back to the previous one by itself, so power-cycle it if it stays away'
			: 'with --testboot, a build that fails to boot would have fallen back to the previous one by itself; now it needs the card re-flashed or a power cycle to tell';
		throw new UpdateFailure(device, 'wait', `${device}: did not come back within ${minutes} min after the reboot (last: ${watched.lastError || 'no answer'}); ${testbootText}`, 'rebooting', {from: context.from, to: context.to});
	}

	const after = buildOf(watched.overview);
	const expected = context.to;
	const downtimeSeconds = Math.round(watched.downtimeMs / 100) / 10;
	// The archive's SBOM hash (and a demo root's timestamp) say which build must answer; without them, any other build.
	const expectedKnown = expected.sbomHash !== '';
	const arrived = mode === 'reboot'
		? sameBuild(after, expected)
		: expectedKnown
			? after.sbomHash === expected.sbomHash && (expected.buildTimestamp === '' || after.buildTimestamp === expected.buildTimestamp)
			: watched.outcome === 'new-build';
	if (!arrived) {
		context.standing = 'rebooted';
		await records.put({...record, state: 'not-back'});
		const fellBack = mode === 'testboot' ? ' (the test boot fell back to the previous build, as it should when the new one does not boot)' : '';
		throw new UpdateFailure(device, 'wait', `${device}: came back with ${describeBuild(after)}, not the expected ${describeBuild(expected)}${fellBack}`, 'rebooted', {from: context.from, to: after});
	}

	context.to = {buildTimestamp: after.buildTimestamp, sbomHash: after.sbomHash};
	context.standing = 'rebooted';
	Object.assign(record, {to: context.to, state: mode === 'testboot' ? 'testboot-running' : 'rebooted'});
	await records.put(record);
	phase('gate');
	const gate = await runHealthGate({
		client,
		before,
		back: watched.overview,
		settleMs,
		pollMs: options.gatePollMs,
		mayBeGone,
		signal,
		onTick: (rows, remainingMs) => onEvent({type: 'gate', device, rows, remainingSeconds: Math.ceil(remainingMs / 1000)}),
	});
	record.gate = gate.passed ? 'passed' : 'failed';
	if (!gate.passed) {
		await records.put(record);
		const failing = gate.rows.filter(row => !row.ok);
		const what = gate.problem ?? failing.map(row => `${row.path} ${row.reason}`).join(', ');
		const way = mode === 'testboot' ? 'a reboot returns to the previous build (krazy-tui rollback does that)' : 'krazy-tui rollback switches back to the previous build';
		throw new UpdateFailure(device, 'gate', `${device}: health gate failed after ${Math.round(settleMs / 1000)} s: ${what}; it runs ${describeBuild(context.to)}; ${way}`, 'rebooted', {rows: gate.rows, rollbackOffered: true, from: context.from, to: context.to});
	}

	let committed: boolean | undefined;
	if (mode === 'testboot') {
		// The tested build passed: make it the one every boot starts (switch names it, as cmdline.txt still names the old one).
		await updates.post('switch', signal);
		Object.assign(record, {state: 'rebooted'});
		committed = true;
		onEvent({type: 'switched', device, mode: 'commit'});
	}

	await records.put(record);
	phase('done');
	const result: UpdateResult = {device, kind: record.kind, from: context.from, to: context.to, standing: 'rebooted', downtimeSeconds, services: gate.rows, committed};
	onEvent({type: 'done', device, result});
	return result;
}

/**
 * Back to the build a device ran before krazy-tui's last update of it: switch to the other root partition (or,
 * after an uncommitted test boot, just reboot), then watch and gate as an update does. Refused, with the reason,
 * without a record that the other partition holds that build.
 */
export async function runRollback(options: JobOptions): Promise<UpdateResult> {
	const {target, records, onEvent, signal} = options;
	const device = target.name;
	const settleMs = options.settleMs ?? 30_000;
	const context: Context = {device, phase: 'check', standing: 'untouched', from: {buildTimestamp: '', sbomHash: ''}, to: {buildTimestamp: '', sbomHash: ''}};
	const phase = (next: UpdatePhase, message?: string) => {
		context.phase = next;
		onEvent({type: 'phase', device, phase: next, message});
	};

	const client = new DeviceClient(target, {timeoutMs: options.timeoutMs});
	const updates = new UpdateClient(target, {timeoutMs: options.timeoutMs});
	try {
		phase('check');
		const before = await client.overview(signal);
		context.from = buildOf(before);
		const decision = rollbackDecision(device, await records.last(device), context.from);
		if (!decision.ok) {
			throw new UpdateFailure(device, 'check', decision.reason, 'untouched', {from: context.from});
		}

		context.to = decision.to;
		if (decision.how === 'switch') {
			await updates.features(signal);
		}

		const plan: UpdatePlan = {
			device,
			kind: 'rollback',
			from: context.from,
			to: context.to,
			parts: [],
			notes: decision.how === 'reboot' ? ['the device test-boots the new build: a reboot returns to the previous one'] : [],
			mode: 'switch',
			reboot: true,
			settleSeconds: Math.round(settleMs / 1000),
		};
		const running = await records.sbom(context.from.sbomHash);
		const previous = await records.sbom(context.to.sbomHash);
		if (running && previous) {
			plan.diff = diffSbom(running, previous);
		}

		onEvent({type: 'plan', device, plan});
		if (options.confirm && !(await options.confirm(plan))) {
			throw new UpdateFailure(device, 'check', `${device}: not rolled back (not confirmed); ${standingText(context)}`, 'untouched', {declined: true, from: context.from});
		}

		const record: UpdateRecord = {
			id: UpdateRecords.newId(),
			device,
			url: target.url,
			time: '',
			kind: 'rollback',
			from: context.from,
			to: context.to,
			mode: 'switch',
			state: 'switched',
		};
		if (decision.how === 'switch') {
			phase('switch');
			await updates.post('switch', signal);
			context.standing = 'switched';
			await records.put(record);
			onEvent({type: 'switched', device, mode: 'switch'});
			if (signal?.aborted) {
				throw new DeviceError(device, 'aborted', 'cancelled');
			}
		}

		// The previous build may simply not have had a service the current one added.
		return await rebootWatchGate({client, updates, options, context, record, before, phase, mode: 'reboot', settleMs, mayBeGone: () => true});
	} catch (error) {
		const failed = failure(context, error, signal);
		onEvent({type: 'failed', device, phase: failed.phase, message: failed.message, switched: failed.switched, standing: failed.standing});
		throw failed;
	} finally {
		client.close();
	}
}

export type GateRows = GateRow[];
