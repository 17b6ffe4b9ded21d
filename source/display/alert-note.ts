// What a device row says about Prometheus's alerts on it: the first alert's name (and service), how many more.
import type {DeviceAlert} from '../core/prometheus/fleet-view.js';
import {clean} from './device-text.js';
import type {Tone} from './vocabulary.js';

export function alertNote(alerts: readonly DeviceAlert[]): {text: string; tone: Tone} | undefined {
	if (alerts.length === 0) {
		return undefined;
	}

	const ordered = [...alerts.filter(alert => alert.state === 'firing'), ...alerts.filter(alert => alert.state !== 'firing')];
	const first = ordered[0]!;
	const service = first.service ? ` ${clean(first.service)}` : '';
	const more = ordered.length > 1 ? ` +${ordered.length - 1}` : '';
	return {text: `⚑ ${clean(first.name)}${service}${first.state === 'pending' ? ' (pending)' : ''}${more}`, tone: first.state === 'firing' ? 'bad' : 'warn'};
}
