// What runs on a demo device: the gokrazy system services and the user programs, as real processes from ./programs.
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import type {ServiceSpec} from './supervisor.js';

export type ExtraService = 'flood' | 'weird' | 'late' | 'exit0';

export const extraServiceNames: readonly ExtraService[] = ['flood', 'weird', 'late', 'exit0'];

export type DemoServicesConfig = {
	authorizedKeysPath: string;
	/** The device's /perm (breakglass's commands get HOME=/perm/home) and /tmp (its working folders), in the state folder. */
	permDir: string;
	tmpDir: string;
	hostKeyPath: string;
	sshHost: string;
	sshPort: number;
	hostname: string;
	model: string;
	buildTimestamp: string;
	extraServices: readonly ExtraService[];
	floodRate: number;
	crashAfterMs: number;
	lateDelayMs: number;
};

const programsDir = fileURLToPath(new URL('programs/', import.meta.url));
/** Running from source under tsx (tests): Node programs are .ts and need tsx's loader. */
const fromSource = import.meta.url.endsWith('.ts');

function nodeProgram(name: string): {command: string; commandArgs: string[]} {
	const loader = fromSource ? [`--import=${import.meta.resolve('tsx')}`] : [];
	return {command: process.execPath, commandArgs: [...loader, `${programsDir}${name}.${fromSource ? 'ts' : 'js'}`]};
}

/** Programs that loop use bash, whose `read -t` sleeps without forking a `sleep` per tick. */
const bashPrograms = new Set(['golink', 'chatty', 'crasher', 'late']);
const bash = ['/bin/bash', '/usr/bin/bash'].find(candidate => existsSync(candidate)) ?? 'bash';

function shellProgram(name: string, args: string[]): Pick<ServiceSpec, 'command' | 'commandArgs'> {
	return {command: bashPrograms.has(name) ? bash : '/bin/sh', commandArgs: [`${programsDir}${name}.sh`, ...args]};
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function demoServiceSpecs(config: DemoServicesConfig): ServiceSpec[] {
	const system = (name: string): ServiceSpec => ({path: `/gokrazy/${name}`, args: [`/gokrazy/${name}`], ...shellProgram(name, [])});
	const user = (name: string, args: string[] = [], env?: Record<string, string>): ServiceSpec => ({
		path: `/user/${name}`,
		args: [`/user/${name}`, ...args],
		...shellProgram(name, args),
		env,
	});

	const breakglassArgs = [`-authorized_keys=${config.authorizedKeysPath}`, `-port=${config.sshPort}`];
	const breakglassNode = nodeProgram('breakglass');
	const specs: ServiceSpec[] = [
		system('dhcp'),
		system('ntp'),
		system('heartbeat'),
		system('randomd'),
		user('golink', ['--sqlitedb=/perm/home/golink/data.db']),
		user('chatty'),
		user('crasher', [], {CRASHER_RUN_SECONDS: seconds(config.crashAfterMs)}),
		{
			path: '/user/breakglass',
			args: ['/user/breakglass', ...breakglassArgs],
			// The first-start check runs in sh, so fifty demo devices booting do not start fifty Node processes only to exit 125.
			command: '/bin/sh',
			commandArgs: [
				'-c',
				'if [ "$GOKRAZY_FIRST_START" = 1 ]; then exit 125; fi; exec "$@"',
				'breakglass',
				breakglassNode.command,
				...breakglassNode.commandArgs,
				...breakglassArgs,
			],
			env: {
				KRAZY_DEMO_SSH_HOST: config.sshHost,
				KRAZY_DEMO_HOST_KEY: config.hostKeyPath,
				KRAZY_DEMO_HOSTNAME: config.hostname,
				KRAZY_DEMO_MODEL: config.model,
				KRAZY_DEMO_BUILD: config.buildTimestamp,
				KRAZY_DEMO_HOME: `${config.permDir}/home`,
				KRAZY_DEMO_TMP: config.tmpDir,
			},
		},
	];

	for (const extra of extraServiceNames.filter(name => config.extraServices.includes(name))) {
		if (extra === 'flood') {
			const flood = nodeProgram('flood');
			const args = [`-rate=${config.floodRate}`];
			specs.push({path: '/user/flood', args: ['/user/flood', ...args], command: flood.command, commandArgs: [...flood.commandArgs, ...args]});
		} else if (extra === 'late') {
			specs.push(user('late', [], {LATE_DELAY_SECONDS: seconds(config.lateDelayMs)}));
		} else {
			specs.push(user(extra));
		}
	}

	return specs;
}
