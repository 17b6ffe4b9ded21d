// The fleet's action machine: a service action or a power action on one tracked device, its record going from
// "restarting…" to "restarted: pid 412 → 513" (or the cause it failed), the device asked through the device client.
import {actOnService, type ServiceAct} from './device-client.js';
import {describeError} from './device-error.js';
import type {ServiceStatus} from './device-model.js';
import type {FleetClient} from './device-poller.js';
import type {DeviceTracker} from './device-tracker.js';
import type {ActionOutcome, PowerActionKind, ServiceActionKind} from './fleet-snapshot.js';

/** What an action needs from the fleet around it. */
export type ActionContext = {
	now: () => number;
	/** How long a restart or start waits for the new pid. */
	timeoutMs: number;
	/** The tracker changed because of what the user did: publish it at once. */
	changed: () => void;
	/** Poll the device now (its answer shows what the action did). */
	pollNow: () => void;
	/** The fleet was stopped meanwhile: results are no longer taken. */
	stopped: () => boolean;
};

export const pendingText: Readonly<Record<ServiceActionKind | PowerActionKind, string>> = {
	restart: 'restarting…',
	stop: 'stopping…',
	start: 'starting…',
	once: 'starting once…',
	kill: 'killing…',
	reboot: 'rebooting…',
	poweroff: 'powering off…',
};

/** The dashboard's five service actions as supervision requests. */
const serviceActs: Readonly<Record<ServiceActionKind, ServiceAct>> = {
	restart: {kind: 'restart'},
	stop: {kind: 'stop'},
	start: {kind: 'start'},
	once: {kind: 'restart', once: true},
	kill: {kind: 'restart', kill: true},
};

export async function runServiceAction(
	tracker: DeviceTracker,
	client: FleetClient,
	path: string,
	kind: ServiceActionKind,
	context: ActionContext,
): Promise<ActionOutcome> {
	const device = tracker.name;
	const oldPid = tracker.servicePid(path);
	const startedAt = context.now();
	const record = (action: Parameters<DeviceTracker['setServiceAction']>[1]) => {
		if (tracker.setServiceAction(path, action)) {
			context.changed();
		}
	};

	record({kind, phase: 'pending', text: pendingText[kind], startedAt, finishedAt: null});
	try {
		const status = await actOnService(client, path, serviceActs[kind], {oldPid, timeoutMs: context.timeoutMs});
		const message = doneText(kind, oldPid, status);
		if (!context.stopped()) {
			tracker.adoptServiceStatus(path, status);
		}

		record({kind, phase: 'done', text: message, startedAt, finishedAt: context.now(), pid: kind === 'stop' ? undefined : status.pid});
		context.pollNow();
		return {ok: true, message: `${device}: ${path} ${message}`, status};
	} catch (error) {
		const message = describeError(error, device);
		record({kind, phase: 'failed', text: `${kind} failed: ${stripDevice(message, device)}`, startedAt, finishedAt: context.now()});
		context.pollNow();
		return {ok: false, message};
	}
}

export async function runPowerAction(tracker: DeviceTracker, client: FleetClient, kind: PowerActionKind, context: ActionContext): Promise<ActionOutcome> {
	const device = tracker.name;
	const startedAt = context.now();
	tracker.setPower({kind, phase: 'pending', text: pendingText[kind], startedAt, finishedAt: null}, {restart: true});
	context.changed();
	try {
		await (kind === 'reboot' ? client.reboot() : client.powerOff());
		tracker.setPower({
			kind,
			phase: kind === 'reboot' ? 'pending' : 'done',
			text: kind === 'reboot' ? 'rebooting…' : 'power off requested',
			startedAt,
			finishedAt: kind === 'reboot' ? null : context.now(),
		});
		context.changed();
		context.pollNow();
		return {ok: true, message: `${device}: ${kind === 'reboot' ? 'reboot' : 'power off'} requested`};
	} catch (error) {
		const message = describeError(error, device);
		tracker.setPower({kind, phase: 'failed', text: `${kind} failed: ${stripDevice(message, device)}`, startedAt, finishedAt: context.now()});
		context.changed();
		return {ok: false, message};
	}
}

function doneText(kind: ServiceActionKind, oldPid: number, status: ServiceStatus): string {
	switch (kind) {
		case 'stop': {
			return status.stopped ? 'stopped' : 'stop sent, still running';
		}

		case 'start': {
			return `started: pid ${status.pid}`;
		}

		case 'once': {
			return `started once: pid ${status.pid}`;
		}

		case 'kill': {
			return `killed: pid ${oldPid} → ${status.pid}`;
		}

		case 'restart': {
			return `restarted: pid ${oldPid} → ${status.pid}`;
		}
	}
}

function stripDevice(message: string, device: string): string {
	return message.startsWith(`${device}: `) ? message.slice(device.length + 2) : message;
}
