// The wall's colours: tones of the shared vocabulary as SGR sequences blessed parses, canvas colours, border labels.
import {cut, textWidth} from '../display/columns.js';
import type {Tone} from '../display/vocabulary.js';

/** Colours as SGR sequences (blessed parses them in any content); with colour off, text passes unchanged. */
export type Painter = {
	readonly color: boolean;
	paint(text: string, tone: Tone): string;
	bold(text: string): string;
};

// Muted is a 256-colour grey: blessed turns the bright-black SGR 90 into plain black, invisible on a dark terminal.
const sgr: Readonly<Record<Tone, string>> = {ok: '32', bad: '31', warn: '33', muted: '38;5;245', accent: '36'};

export function painter(color: boolean): Painter {
	return {
		color,
		paint: (text, tone) => (color && text !== '' ? `\u001b[${sgr[tone]}m${text}\u001b[39m` : text),
		// Bold is emphasis, not colour: NO_COLOR keeps it.
		bold: text => (text === '' ? text : `\u001b[1m${text}\u001b[22m`),
	};
}

/** Colours the canvas widgets (chart, gauge) take; `normal` is the terminal's own. */
export type CanvasColors = {memory: string; cpu: string; text: string; baseline: string; border: string};

export function canvasColors(color: boolean): CanvasColors {
	return color
		? {memory: 'cyan', cpu: 'yellow', text: 'normal', baseline: 'normal', border: 'cyan'}
		: {memory: 'normal', cpu: 'normal', text: 'normal', baseline: 'normal', border: 'normal'};
}

/** The contrib table's rows are parsed for blessed tags: device text must not be able to open one. */
export function escapeTags(text: string): string {
	return text.replace(/[{}]/g, char => (char === '{' ? '{open}' : '{close}'));
}

export type Segment = {readonly text: string; readonly tone?: Tone; readonly bold?: boolean};

/** Segments cut together to `width` columns (an ellipsis where cut), then painted. */
export function paintSegments(segments: readonly Segment[], width: number, paint: Painter): string {
	let room = width;
	let out = '';
	for (const segment of segments) {
		if (room <= 0) {
			break;
		}

		const length = textWidth(segment.text);
		const text = length > room ? cut(segment.text, room) : segment.text;
		room -= Math.min(length, room);
		const toned = segment.tone ? paint.paint(text, segment.tone) : text;
		out += segment.bold ? paint.bold(toned) : toned;
	}

	return out;
}

/**
 * A label on a widget's top border, a space either side. blessed puts it two columns in and wraps (over the widget's
 * first row) what does not fit before the corner, so it is cut to leave the corner and one line character free.
 */
export function borderLabel(segments: readonly Segment[], widgetWidth: number, paint: Painter): string {
	return ` ${paintSegments(segments, Math.max(1, widgetWidth - 7), paint)} `;
}

