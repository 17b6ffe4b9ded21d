// `krazy-tui restart|stop|start DEVICE SERVICE`: supervision through the device's XSRF flow, then what became of it.
import {actOnService} from '../core/device-client.js';
import {serviceState, servicePath, type ServiceStatus} from '../core/device-model.js';
import {jsonForTerminal} from '../core/sanitize-terminal.js';
import {parseCommandArgs, type Command} from './command-io.js';
import {deviceAndService, deviceFlags, openClient, writeLine} from './device-options.js';

type Action = 'restart' | 'stop' | 'start';

const helps: Record<Action, string> = {
	restart: `Usage: krazy-tui restart DEVICE SERVICE [--kill] [--once] [--no-wait] [--json]

Restarts a service (SIGTERM to its process group, --kill for SIGKILL); --once runs it one more time, then
leaves it stopped. Waits until the device reports the new process (--no-wait: return at once).`,
	stop: `Usage: krazy-tui stop DEVICE SERVICE [--kill] [--json]

Stops a service (SIGTERM, --kill for SIGKILL); the supervisor will not start it again until started.`,
	start: `Usage: krazy-tui start DEVICE SERVICE [--once] [--no-wait] [--json]

Starts a stopped service (gokrazy starts a service by restarting it); --once runs it once, then stopped.
Waits until the device reports the new process (--no-wait: return at once).`,
};

function describe(status: ServiceStatus): string {
	const state = serviceState(status);
	return status.pid ? `${state}, pid ${status.pid}` : state;
}

function makeCommand(action: Action): Command {
	return async (args, io) => {
		const {values, positionals} = parseCommandArgs(action, args, {
			...deviceFlags,
			json: {type: 'boolean'},
			'no-wait': {type: 'boolean'},
			...(action === 'start' ? {} : {kill: {type: 'boolean'}}),
			...(action === 'stop' ? {} : {once: {type: 'boolean'}}),
		});
		if (values.help) {
			writeLine(io.stdout, helps[action]);
			return 0;
		}

		const [device, service] = deviceAndService(action, positionals);
		const path = servicePath(service);
		const client = await openClient(action, device, values, io);
		try {
			const before = await client.service(path);
			const after = await actOnService(client, path, {kind: action, kill: values.kill === true, once: values.once === true}, {oldPid: before.pid, wait: !values['no-wait']});
			if (values.json) {
				writeLine(io.stdout, jsonForTerminal({
					device: client.target.name, path, action, before: {pid: before.pid, state: serviceState(before)},
					after: {pid: after.pid, state: serviceState(after), startTime: after.startTime?.toISOString() ?? null},
				}));
			} else {
				const verb = {restart: 'restarted', stop: 'stopped', start: 'started'}[action];
				writeLine(io.stdout, `${client.target.name}: ${path} ${verb} (was ${describe(before)}; now ${describe(after)})`);
			}

			return 0;
		} finally {
			client.close();
		}
	};
}

export const restartCommand = makeCommand('restart');
export const stopCommand = makeCommand('stop');
export const startCommand = makeCommand('start');
