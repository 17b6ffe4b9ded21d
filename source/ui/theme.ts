// Colours of the dashboard by theme; with NO_COLOR (or the mono theme) there are none, and words and marks carry the meaning.
import {createContext, useContext} from 'react';
import {colorWanted, type Tone} from '../display/vocabulary.js';

export type ThemeName = 'auto' | 'dark' | 'light' | 'mono';

export type Palette = {
	/** False: no colour at all (NO_COLOR, mono); views must not rely on colour then. */
	readonly color: boolean;
	readonly ok: string | undefined;
	readonly bad: string | undefined;
	readonly warn: string | undefined;
	readonly accent: string | undefined;
	readonly muted: string | undefined;
	readonly stdout: string | undefined;
	readonly stderr: string | undefined;
	readonly title: string | undefined;
};

const none: Palette = {
	color: false,
	ok: undefined,
	bad: undefined,
	warn: undefined,
	accent: undefined,
	muted: undefined,
	stdout: undefined,
	stderr: undefined,
	title: undefined,
};

const dark: Palette = {
	color: true,
	ok: 'green',
	bad: 'red',
	warn: 'yellow',
	accent: 'cyan',
	muted: 'gray',
	stdout: 'cyan',
	stderr: 'magenta',
	title: 'cyanBright',
};

const light: Palette = {
	color: true,
	ok: 'green',
	bad: 'red',
	warn: 'magenta',
	accent: 'blue',
	muted: 'gray',
	stdout: 'blue',
	stderr: 'magenta',
	title: 'blue',
};

/** The palette for a theme setting; NO_COLOR (any non-empty value, per no-color.org) always wins. */
export function paletteFor(theme: ThemeName, env: NodeJS.ProcessEnv = process.env): Palette {
	if (!colorWanted(env, theme)) {
		return none;
	}

	return theme === 'light' ? light : dark;
}

export const PaletteContext = createContext<Palette>(dark);

export function usePalette(): Palette {
	return useContext(PaletteContext);
}

/** The palette's colour for a tone of the shared vocabulary (undefined: the terminal's own). */
export function toneColor(palette: Palette, tone: Tone): string | undefined {
	return palette[tone];
}
