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
createRoot(root).render(
  <StrictMode>
    <App client={new ApiClient({ csrf: new CsrfToken() })} />
  </StrictMode>,
);
