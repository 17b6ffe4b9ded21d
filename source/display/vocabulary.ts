// One vocabulary of health and state for every screen: each case gets a mark, words and a tone, decided here once.
//
// The dashboard maps a tone to its Ink palette, the wall to blessed's colours, `status` prints marks and words only;
// the mark and the words carry the meaning without colour (NO_COLOR, the mono theme, a pipe). The rule for tones:
// whatever keeps us from reading the device is `bad` (unreachable, a wrong password, a TLS problem, an answer that is
// not gokrazy's), trying is `muted`, something in motion is `warn`.
import type {DeviceHealth, ServiceDisplayState} from '../core/fleet-store.js';

export type Tone = 'ok' | 'bad' | 'warn' | 'muted' | 'accent';

/** How one case reads: `● online`, `⚷ wrong password`. */
export type Look = {readonly mark: string; readonly words: string; readonly tone: Tone};

export const healthLook: Readonly<Record<DeviceHealth, Look>> = {
	connecting: {mark: '◌', words: 'connecting', tone: 'muted'},
	online: {mark: '●', words: 'online', tone: 'ok'},
	unreachable: {mark: '✗', words: 'unreachable', tone: 'bad'},
	auth: {mark: '⚷', words: 'wrong password', tone: 'bad'},
	tls: {mark: '⚠', words: 'TLS problem', tone: 'bad'},
	'bad-answer': {mark: '?', words: 'bad answer', tone: 'bad'},
};

export const stateLook: Readonly<Record<ServiceDisplayState, Look>> = {
	running: {mark: '▶', words: 'running', tone: 'ok'},
	stopped: {mark: '■', words: 'stopped', tone: 'muted'},
	restarting: {mark: '↻', words: 'restarting', tone: 'warn'},
	'crash-looping': {mark: '!', words: 'crash-looping', tone: 'bad'},
};

/** An action under way ("↻ restarting…") and one that failed. */
export const actionLook = {
	pending: {mark: '↻', tone: 'warn'},
	failed: {mark: '✗', tone: 'bad'},
} as const satisfies Record<string, {mark: string; tone: Tone}>;

/** `● online`: the mark and the words together, as every screen shows them. */
export function lookText(look: Look): string {
	return `${look.mark} ${look.words}`;
}

/** NO_COLOR (any non-empty value, per no-color.org) or the mono theme turns every colour off, on every screen. */
export function colorWanted(env: NodeJS.ProcessEnv, theme?: string): boolean {
	return !((env.NO_COLOR !== undefined && env.NO_COLOR !== '') || theme === 'mono');
}

export type FleetCounts = {readonly online: number; readonly failing: number; readonly connecting: number; readonly crashLooping: number};

/** The fleet in four numbers, for the title lines of the dashboard and the wall. */
export function fleetCounts(devices: ReadonlyArray<{readonly health: DeviceHealth; readonly counts: {readonly crashLooping: number}}>): FleetCounts {
	let online = 0;
	let failing = 0;
	let connecting = 0;
	let crashLooping = 0;
	for (const device of devices) {
		if (device.health === 'online') {
			online++;
		} else if (device.health === 'connecting') {
			connecting++;
		} else {
			failing++;
		}

		crashLooping += device.counts.crashLooping;
	}

	return {online, failing, connecting, crashLooping};
}
