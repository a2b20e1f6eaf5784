/* ChatComment: plain text, no third-party scripts or local storage. */
(() => {
  'use strict';
  const source = document.currentScript;
  const current = source ? {...source.dataset} : {};
  async function mount(options) {
    const root = typeof options.target === 'string' ? document.querySelector(options.target) : options.target;
    if (!root) throw new Error('ChatComment container not found');
    const api = options.api.replace(/\/$/, '');
    const site = encodeURIComponent(options.site);
    const page = options.page || location.pathname;
    const link = document.createElement('link');
    link.rel = 'stylesheet'; link.href = `${api}/widget.css`; root.append(link);
    const box = document.createElement('section'); box.className = 'chatcomment'; root.append(box);
    box.innerHTML = `<header><div><p class="cc-eyebrow">ChatComment</p><h2>留下想法</h2></div><a class="cc-admin" aria-label="留言设置" title="留言设置" hidden>⚙</a></header>
      <p class="cc-note">留言保存在服务器，刷新后仍可查看。邮箱仅管理员可见。</p>
      <form><div class="cc-fields"></div><label>留言 <span>必填</span><textarea name="content" required maxlength="5000" rows="4" placeholder="有什么想法，或者值得接着做的事？"></textarea></label>
      <div class="cc-actions"><button type="submit">提交留言</button><button type="button" class="cc-refresh">刷新留言</button><span class="cc-status" role="status" aria-live="polite"></span></div></form>
      <div class="cc-list" aria-live="polite"></div><button type="button" class="cc-more" hidden>更早的留言</button>`;
    // The API base comes from the deployer's script attribute; never from comments.
    box.querySelector('.cc-admin').href = `${api}/login?site=${site}`;
    const status = box.querySelector('.cc-status');
    const list = box.querySelector('.cc-list');
    const form = box.querySelector('form');
    const submit = form.querySelector('[type=submit]');
    let cursor = null;
    async function request(path, payload) {
      const headers = {'X-ChatComment-Request':'1'};
      if (payload) {
        headers['Content-Type'] = 'application/json';
        if (options.csrfEndpoint) {
          const session = await fetch(options.csrfEndpoint, {credentials:'same-origin'});
          if (!session.ok) throw new Error('请先登录后再留言');
          headers['X-CSRF-Token'] = (await session.json()).csrf_token;
        }
      }
      const response = await fetch(api + path, {method:payload?'POST':'GET',headers,credentials:'same-origin',body:payload?JSON.stringify(payload):undefined});
      if (!response.ok) {
        const error = await response.json().catch(() => ({}));
        throw new Error(error.error || `读取失败（${response.status}），请确认登录状态`);
      }
      return response.json();
    }
    async function config() {
      const data = await request(`/api/sites/${site}/config`);
      if (data.auth?.scoped) options.csrfEndpoint=data.auth.session_endpoint;
      const gear = box.querySelector('.cc-admin'); gear.hidden = true;
      const fields = box.querySelector('.cc-fields'); fields.replaceChildren();
      const labels = {nickname:'昵称',email:'邮箱',website:'网址'};
      for (const [name, mode] of Object.entries(data.settings.fields)) {
        if (mode === 'hidden') continue;
        const label = document.createElement('label');
        label.textContent = `${labels[name]}（${mode === 'required' ? '必填' : '可选'}）`;
        const input = document.createElement('input');
        input.name = name; input.required = mode === 'required';
        input.type = name === 'email' ? 'email' : name === 'website' ? 'url' : 'text';
        input.maxLength = name === 'nickname' ? 120 : 500;
        label.append(input); fields.append(label);
        if (name === 'email' && data.can_manage === true) {
          let timer;
          input.addEventListener('input', () => {
            clearTimeout(timer); gear.hidden = true;
            const value = input.value.trim();
            if (!value || !input.validity.valid) return;
            timer = setTimeout(async () => {
              try {
                const hint = await request('/api/admin/entry', {site:options.site,email:value});
                gear.hidden = input.value.trim() !== value || hint.show_settings !== true;
              } catch (_) { gear.hidden = true; }
            }, 250);
          });
        }
      }
      box.querySelector('.cc-note').textContent = `${data.settings.allow_anonymous?'无需留言账号，可匿名提交。':'需要已验证的站点身份。'}${data.settings.moderation?'留言经审核后显示。':''}邮箱仅管理员可见。`;
    }
    async function load(more=false) {
      const data = await request(`/api/sites/${site}/comments?page=${encodeURIComponent(page)}${more&&cursor?'&before='+encodeURIComponent(cursor):''}`);
      if (!more) list.replaceChildren();
      for (const item of data.comments) {
        const article = document.createElement('article');
        const heading = document.createElement('div'); heading.className = 'cc-meta';
        const author = document.createElement('strong'); author.textContent = item.nickname || '匿名';
        const time = document.createElement('time'); time.dateTime = item.created_at; time.textContent = new Date(item.created_at).toLocaleString();
        heading.append(author,time);
        const content = document.createElement('p'); content.textContent = item.content;
        article.append(heading,content); list.append(article);
      }
      if (!list.children.length) {const empty=document.createElement('p');empty.className='cc-empty';empty.textContent='还没有留言，欢迎留下第一条。';list.append(empty);}
      cursor = data.next_cursor; box.querySelector('.cc-more').hidden = !cursor;
    }
    form.addEventListener('submit', async event => {
      event.preventDefault(); submit.disabled=true; status.textContent='正在提交…';
      try {
        const result = await request(`/api/sites/${site}/comments`, {page,...Object.fromEntries(new FormData(form))});
        form.elements.content.value='';
        status.textContent=result.status==='pending'?'已提交，等待审核。':'已保存到服务器。';
        await load();
      } catch (error) {status.textContent=error.message;}
      finally {submit.disabled=false;}
    });
    box.querySelector('.cc-refresh').onclick=async()=>{try{await config();await load();status.textContent='已从服务器刷新。';}catch(e){status.textContent=e.message;}};
    box.querySelector('.cc-more').onclick=()=>load(true).catch(e=>{status.textContent=e.message;});
    try {await config();await load();} catch(error){status.textContent=error.message;submit.disabled=true;}
    return {refresh:load};
  }
  window.ChatComment = {mount};
  if (source?.hasAttribute('data-chatcomment')) {
    const start=()=>mount({target:current.target,api:current.api,site:current.site,page:current.page,csrfEndpoint:current.csrfEndpoint});
    if (document.readyState==='loading') document.addEventListener('DOMContentLoaded',start,{once:true}); else start();
  }
})();
