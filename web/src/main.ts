import { mount } from 'svelte';
import App from './App.svelte';
import { applyTheme, loadPrefs } from './lib/settings.svelte.ts';
import './app.css';

// The saved theme goes on before the first paint of the app, so a Dark choice under a light
// system does not flash light. (The CSP allows no inline script in index.html to do it
// earlier; this module runs before anything is drawn from #app.)
applyTheme(loadPrefs().theme);

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });
