// The dashboard's entry: who is signed in decides between the sign-in page and the app; the URL
// decides the page. Pages other than the apps list load on demand (the first load stays small).
import { render } from 'preact';
import { lazy, Suspense } from 'preact/compat';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, whenSignedOut } from './api';
import { Layout } from './components/Layout';
import { disconnectLive } from './live';
import { AppsPage } from './pages/Apps';
import { SignIn } from './pages/SignIn';
import { onLinkClick, routeOf, useLocation } from './router';
import './styles.css';

const AppPage = lazy(() => import('./pages/App').then((m) => m.AppPage));
const DeploysPage = lazy(() => import('./pages/Deploys').then((m) => m.DeploysPage));
const LogsPage = lazy(() => import('./pages/Logs').then((m) => m.LogsPage));
const MetricsPage = lazy(() => import('./pages/Metrics').then((m) => m.MetricsPage));
const JobsPage = lazy(() => import('./pages/Jobs').then((m) => m.JobsPage));

/** Whether the browser holds a session: it shows only when the session is asked for, so the
 *  page asks for it and for its own data at once (one round trip, not two, before the first paint);
 *  any 401 shows the sign-in page. */
function Dashboard() {
  const [user, setUser] = useState<string | null | undefined>(undefined);
  const loc = useLocation();

  useEffect(() => {
    whenSignedOut(() => {
      disconnectLive();
      setUser(null);
    });
    api<{ user: string }>('session').then(
      (s) => setUser(s.user),
      (e: ApiError) => e.status === 401 && setUser(null),
    );
  }, []);

  if (user === null) return <SignIn onSignedIn={setUser} />;

  const signOut = () =>
    void api('session', { method: 'DELETE' }).finally(() => {
      disconnectLive();
      setUser(null);
    });
  const route = routeOf(loc.pathname);
  const app = 'app' in route ? route.app : undefined;
  const tab = route.page === 'app' ? '' : route.page;
  let page;
  switch (route.page) {
    case 'apps':
      page = <AppsPage />;
      break;
    case 'app':
      page = <AppPage app={route.app} />;
      break;
    case 'deploys':
      page = <DeploysPage app={route.app} id={route.id} />;
      break;
    case 'logs':
      page = <LogsPage app={route.app} search={loc.search} />;
      break;
    case 'metrics':
      page = <MetricsPage app={route.app} search={loc.search} />;
      break;
    case 'jobs':
      page = <JobsPage app={route.app} />;
      break;
    default:
      page = <p>No page at {route.path}.</p>;
  }
  return (
    <Layout user={user ?? ''} onSignOut={signOut} app={app} tab={tab}>
      <Suspense fallback={<p class="muted">Loading…</p>}>{page}</Suspense>
    </Layout>
  );
}

document.addEventListener('click', onLinkClick);
render(<Dashboard />, document.getElementById('root')!);
