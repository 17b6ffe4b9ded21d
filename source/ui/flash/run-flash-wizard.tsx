// `krazy-tui flash` on a terminal: renders the wizard full-screen until it is left.
import React from 'react';
import {render} from 'ink';
import {paletteFor, PaletteContext} from '../theme.js';
import {defaultFlashServices} from '../../core/flash/flash-services.js';
import {FlashWizard} from './flash-wizard.js';

export type WizardLaunch = {showAll?: boolean; initialImage?: string; env: NodeJS.ProcessEnv; home: string};

export async function runFlashWizard(launch: WizardLaunch): Promise<number> {
	const services = defaultFlashServices(launch.env, launch.home);
	const holder: {app?: ReturnType<typeof render>} = {};
	const tree = (
		<PaletteContext.Provider value={paletteFor('auto', launch.env)}>
			<FlashWizard showAll={launch.showAll} initialImage={launch.initialImage} services={services} onExit={() => holder.app?.unmount()}/>
		</PaletteContext.Provider>
	);
	// Ctrl-C is the wizard's own key: it stops a write cleanly instead of killing the process mid-write.
	holder.app = render(tree, {exitOnCtrlC: false, maxFps: 20});
	await holder.app.waitUntilExit();
	return 0;
}
