import { useI18n } from '../i18n.js';

/** Shown where the daemon lacks an admin route (a part not installed or not yet built). */
export function Unavailable({ path }: { path: string }): React.JSX.Element {
  const { t } = useI18n();
  return (
    <p className="unavailable">
      {t('common.unavailable')} <code>{path}</code>
    </p>
  );
}
