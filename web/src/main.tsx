import { render } from 'preact';
import './app.css';

render(<p>dts console</p>, document.getElementById('app') as HTMLElement);
