import { describe, expect, it } from 'vitest';
import { findCloudLinks } from './cloud-links.js';

/** Bodies as the providers write them when a file is too big to attach. */
describe('cloud-attachment links', () => {
  it('QQ Mail 超大附件, plain text and HTML with escaped ampersands', () => {
    const text = '从QQ邮箱发来的超大附件\n\n柴桑区参赛材料.zip (25.3M, 2021年08月05日 10:12 到期)\n进入下载页面：https://mail.qq.com/cgi-bin/ftnExs_download?k=2a3b0c&t=exs_ftn_download&code=7f2c';
    expect(findCloudLinks(text)).toEqual(['https://mail.qq.com/cgi-bin/ftnExs_download?k=2a3b0c&t=exs_ftn_download&code=7f2c']);
    const html = '<div>从QQ邮箱发来的超大附件</div><a href="https://wx.mail.qq.com/ftn/download?func=3&amp;k=9d8e&amp;key=5c4b" target="_blank">实施方案.docx</a>';
    expect(findCloudLinks('', html)).toEqual(['https://wx.mail.qq.com/ftn/download?func=3&k=9d8e&key=5c4b']);
  });

  it('网易 163/126 超大附件 and 邮箱大师 cloud attachments', () => {
    const text = '从网易163邮箱发来的超大附件\n竞赛实施方案.docx (30.2M, 2021年7月20日 10:10 到期)\n下载: https://mail.163.com/large-attachment-download/index.html?p=X-NETEASE-HUGE-ATTACHMENT&file=Rk9P&title=%E6%96%B9%E6%A1%88';
    expect(findCloudLinks(text)).toHaveLength(1);
    expect(findCloudLinks('下载地址：http://fs.126.com/fs/display/?p=X-NETEASE-HUGE-ATTACHMENT&file=abc')).toEqual(['http://fs.126.com/fs/display/?p=X-NETEASE-HUGE-ATTACHMENT&file=abc']);
    expect(findCloudLinks('https://dashi.163.com/html/cloud-attachment-download/index.html?key=abc')).toHaveLength(1);
  });

  it('Sina, OneDrive, Baidu with its extraction code, Chinese online documents', () => {
    expect(findCloudLinks('新浪邮箱超大附件：http://mail.sina.com.cn/filecenter/download.php?id=12345')).toHaveLength(1);
    expect(findCloudLinks('Files: https://1drv.ms/x/s!AbCdEf123 and https://contoso-my.sharepoint.com/:w:/g/personal/plan')).toHaveLength(2);
    expect(findCloudLinks('链接：https://pan.baidu.com/s/1AbCdEfG 提取码：x7k2 复制这段内容后打开百度网盘')).toEqual(['https://pan.baidu.com/s/1AbCdEfG 提取码：x7k2']);
    expect(findCloudLinks('https://pan.baidu.com/s/1AbCdEfG?pwd=x7k2')).toEqual(['https://pan.baidu.com/s/1AbCdEfG?pwd=x7k2']);
    expect(findCloudLinks('报名表已放到腾讯文档：https://docs.qq.com/sheet/DUmFhYmNk')).toHaveLength(1);
    expect(findCloudLinks('方案：https://www.kdocs.cn/l/ctGzXyZ')).toHaveLength(1);
  });

  it('any link a body calls a large attachment, on an unknown host', () => {
    expect(findCloudLinks('超大附件下载链接：https://mail.jiujiang.gov.cn/share/abc123，有效期15天。')).toEqual(['https://mail.jiujiang.gov.cn/share/abc123']);
  });

  it('ignores ordinary links, footers and each link seen twice', () => {
    expect(findCloudLinks('详见通知 http://www.jiujiang.gov.cn/zwgk/ 。\n来自网易邮箱大师 https://dashi.163.com/')).toEqual([]);
    const twice = 'https://pan.baidu.com/s/1Same http://pan.baidu.com/s/1Same';
    expect(findCloudLinks(twice, `<a href="https://pan.baidu.com/s/1Same">x</a>`)).toEqual(['https://pan.baidu.com/s/1Same']);
  });
});
