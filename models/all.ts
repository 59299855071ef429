/** Importing this registers every model (and its upstream checkpoint format) with the registry. */
import './schnet.js';
import './cgcnn.js';
import './painn.js';
import './so3net.js';
import './m3gnet.js';
