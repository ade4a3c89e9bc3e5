import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** A new key (the page's address) clears a caught error. */
  resetKey?: string;
}

interface State {
  error: Error | null;
  key: string | undefined;
}

/** A render error shows a way out instead of a blank page. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('berth dashboard: a view failed', error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="problem problem-page" role="alert">
        <p className="problem-title">This page hit an error</p>
        <p className="problem-detail">{error.message || String(error)}</p>
        <p className="problem-hint">
          Reload the page; if it happens again, the browser console has the details.
        </p>
        <div className="button-row">
          <button type="button" className="button button-primary" onClick={() => location.reload()}>
            Reload
          </button>
          <a className="button" href="/">
            Back to sessions
          </a>
        </div>
      </div>
    );
  }
}
