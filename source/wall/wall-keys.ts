// The wall's keys in one table: the screen binds from it and the help overlay is written from it.

export type WallIntent = 'quit' | 'pause' | 'previousPage' | 'nextPage' | 'help' | 'dismiss';

export type WallKey = {
	readonly intent: WallIntent;
	/** blessed key names. */
	readonly keys: readonly string[];
	/** How the help shows them. */
	readonly label: string;
	readonly description: string;
};

export const wallKeys: readonly WallKey[] = [
	{intent: 'quit', keys: ['q', 'C-c'], label: 'q  Ctrl-C', description: 'quit'},
	{intent: 'pause', keys: ['p', 'space'], label: 'p  Space', description: 'pause or resume the page rotation'},
	{intent: 'previousPage', keys: ['left', 'up', 'pageup'], label: '←  ↑  PgUp', description: 'previous page'},
	{intent: 'nextPage', keys: ['right', 'down', 'pagedown'], label: '→  ↓  PgDn', description: 'next page'},
	{intent: 'help', keys: ['?', 'h'], label: '?  h', description: 'show or hide this help'},
	{intent: 'dismiss', keys: ['escape'], label: 'Esc', description: 'hide this help'},
];

/** The help overlay's lines. */
export function wallHelpLines(): string[] {
	const width = Math.max(...wallKeys.map(key => key.label.length));
	return [
		...wallKeys.map(key => `${key.label.padEnd(width)}   ${key.description}`),
		'',
		'The wall only reads: nothing here changes a device.',
		'To restart or stop a service, use krazy-tui (the dashboard) or krazy-tui restart.',
	];
}

/** The intent of a blessed key name, if the wall has one. */
export function wallIntent(keyName: string): WallIntent | undefined {
	return wallKeys.find(key => key.keys.includes(keyName))?.intent;
}
