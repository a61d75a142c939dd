import { Menu, app, shell, type MenuItemConstructorOptions } from 'electron';

export function installMenu(home: string): void {
  const zh = app.getLocale().toLowerCase().startsWith('zh');
  const t = (en: string, cn: string) => (zh ? cn : en);
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: t('File', '文件'),
      submenu: [
        { label: t('Open Data Folder', '打开数据目录'), click: () => void shell.openPath(home) },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit', label: t('Quit', '退出') },
      ],
    },
    { role: 'editMenu', label: t('Edit', '编辑') },
    {
      label: t('View', '视图'),
      submenu: [
        { role: 'reload', label: t('Reload', '重新加载') },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
        { type: 'separator' },
        { role: 'resetZoom', label: t('Actual Size', '实际大小') },
        { role: 'zoomIn', label: t('Zoom In', '放大') },
        { role: 'zoomOut', label: t('Zoom Out', '缩小') },
        { type: 'separator' },
        { role: 'togglefullscreen', label: t('Full Screen', '全屏') },
      ],
    },
    { role: 'windowMenu', label: t('Window', '窗口') },
    { label: t('Help', '帮助'), submenu: [{ label: t('About EdgeForge', '关于 EdgeForge'), click: () => app.showAboutPanel() }] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
