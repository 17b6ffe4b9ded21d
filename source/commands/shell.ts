// `krazy-tui shell DEVICE [-- COMMAND...]`: a breakglass shell or one command on the device, without ssh config files.
import {runBreakglassShell} from '../core/breakglass/breakglass-shell.js';
import {KnownHosts, knownHostName, knownHostsPath, parseHostPort} from '../core/breakglass/known-hosts.js';
import {HostKeyError} from '../core/breakglass/ssh-session.js';
import {DeviceClient} from '../core/device-client.js';
import {registryOptionsFrom} from '../core/device-registry.js';
import {settingsDirectory} from '../core/settings.js';
import {parseCommandArgs, UsageError, type Command} from './command-io.js';
import {deviceFlags, resolveOne, writeLine} from './device-options.js';

const help = `Usage: krazy-tui shell DEVICE [--ssh-port N] [--user NAME] [--identity FILE] [--accept-new]
                       [--upload FILE.tar] [--stop-after] [--start-wait SECONDS] [-- COMMAND...]
       krazy-tui shell --forget-host HOST[:PORT]

A shell on the device through breakglass, the way gokrazy's breakglass client does: breakglass is started if
it is stopped, its SSH port waited for, and keys come from the SSH agent ($SSH_AUTH_SOCK), then from the
private keys beside ~/.ssh/id_*.pub (the ones \`gok new\` authorised). With -- COMMAND, runs that one command
instead (stdout and stderr apart; its exit status becomes krazy-tui's).

  --ssh-port N        breakglass's port (default: the device's configured one, else 22)
  --user NAME         the SSH user (default: your local user name; breakglass ignores it, OpenSSH does not)
  --identity FILE     use this private key (after the agent's keys) instead of ~/.ssh/id_*
  --accept-new        remember an unknown host key without asking (a changed one is always refused)
  --upload FILE.tar   send FILE.tar first (SFTP, or breakglass's scp sink where SFTP is refused; it says which);
                      breakglass unpacks it onto $PATH. \${GOARCH} in the name
                      becomes the device's architecture (amd64, arm64, …)
  --stop-after        stop breakglass again when the session ends
  --start-wait S      how long a breakglass just started may take to accept connections (default
                      $KRAZY_TUI_BREAKGLASS_WAIT, else 5; a Pi on a slow card may need more)
  --forget-host H     forget the remembered host key of H ("host" for port 22, "[host]:port" or "host:port")
  --password-file F   the device's HTTP password from a file
  --timeout SECONDS   HTTP timeout (default 5)

Host keys are remembered in krazy-tui's own known_hosts (OpenSSH format) in its config folder.`;

function parsePort(text: string): number {
	const port = Number(text);
	if (!/^\d+$/.test(text) || port < 1 || port > 65_535) {
		throw new UsageError(`shell: --ssh-port wants a port number (1-65535), not ${JSON.stringify(text)}`);
	}

	return port;
}

function parseStartWait(text: string, from = '--start-wait'): number {
	const seconds = Number(text);
	if (text.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
		throw new UsageError(`shell: ${from} wants a number of seconds, not ${JSON.stringify(text)}`);
	}

	return Math.round(seconds * 1000);
}

/**
 * How long a just-started breakglass may take to listen: --start-wait, else $KRAZY_TUI_BREAKGLASS_WAIT (seconds; for
 * the dashboard's `b` too), else the default (5 s, as gokrazy's breakglass client).
 */
export function breakglassStartWait(flag: string | undefined, env: NodeJS.ProcessEnv): number | undefined {
	if (flag !== undefined) {
		return parseStartWait(flag);
	}

	const fromEnv = env.KRAZY_TUI_BREAKGLASS_WAIT;
	return fromEnv === undefined || fromEnv === '' ? undefined : parseStartWait(fromEnv, 'KRAZY_TUI_BREAKGLASS_WAIT');
}

export const shellCommand: Command = async (args, io) => {
	const {values, positionals} = parseCommandArgs('shell', args, {
		...deviceFlags,
		'ssh-port': {type: 'string'},
		user: {type: 'string'},
		identity: {type: 'string'},
		'accept-new': {type: 'boolean'},
		upload: {type: 'string'},
		'stop-after': {type: 'boolean'},
		'forget-host': {type: 'string'},
		'start-wait': {type: 'string'},
	});
	if (values.help) {
		writeLine(io.stdout, help);
		return 0;
	}

	const location = registryOptionsFrom(io.env);
	const configDir = settingsDirectory(location);
	if (values['forget-host'] !== undefined) {
		if (positionals.length > 0) {
			throw new UsageError('shell: --forget-host takes no DEVICE or COMMAND');
		}

		const {host, port} = parseHostPort(values['forget-host']);
		const knownHosts = new KnownHosts(knownHostsPath(configDir));
		const name = knownHostName(host, port);
		const removed = await knownHosts.remove(host, port);
		if (removed === 0) {
			writeLine(io.stderr, `${name}: no remembered host key in ${knownHosts.file}`);
			return 1;
		}

		writeLine(io.stdout, `${name}: forgot ${removed} host key${removed === 1 ? '' : 's'} (${knownHosts.file})`);
		return 0;
	}

	const [spec, ...command] = positionals;
	if (spec === undefined) {
		throw new UsageError('shell: expected DEVICE (see krazy-tui shell --help)');
	}

	const {target, timeoutMs} = await resolveOne('shell', spec, values, io);
	const device = new DeviceClient(target, {timeoutMs});
	try {
		return await runBreakglassShell(
			target,
			{
				configDir,
				home: location.home,
				env: io.env,
				sshPort: values['ssh-port'] === undefined ? undefined : parsePort(values['ssh-port']),
				portTimeoutMs: breakglassStartWait(values['start-wait'], io.env),
				username: values.user,
				identityFile: values.identity,
				acceptNew: values['accept-new'],
				upload: values.upload,
				stopAfter: values['stop-after'],
				command,
				device,
				signal: io.signal,
			},
			{stdin: process.stdin, stdout: io.stdout, stderr: io.stderr},
		);
	} catch (error) {
		if (error instanceof HostKeyError && error.details) {
			writeLine(io.stderr, error.details);
		}

		throw error;
	} finally {
		device.close();
	}
};
