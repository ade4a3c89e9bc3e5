// The shared styles load first: each page's own CSS (imported by the page) builds on them.
import './styles/base.css';
import './styles/layout.css';
import './styles/controls.css';
import './styles/components.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiClient } from './api/client';
import { CsrfToken } from './api/csrf-token';
import { App } from './app/app';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
const client = new ApiClient({ csrf: new CsrfToken() });
// Who is signed in, and on the dashboard its list: asked now, so the first render can show them.
// A slow server gets the spinner after a short wait rather than a blank page.
const early = client.startEarly(location.pathname === '/');
await Promise.race([early, new Promise((resolve) => setTimeout(resolve, 150))]);
createRoot(root).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
);
